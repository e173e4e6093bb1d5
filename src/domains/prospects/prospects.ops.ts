import { z } from 'zod';
import * as prospects from './prospects.service.js';
import { PROSPECT_STATUSES } from './prospects.service.js';
import {
  ActorOutput,
  CursorInput,
  LimitInput,
  Timestamp,
  freeFormInput,
  oneLine,
  pageOutput,
  toPageOutput,
} from '../../operations/inputs.js';
import { idempotentWrite, readOnly } from '../../operations/presets.js';
import { defineOperation } from '../../operations/define.js';

const Prospect = z.object({
  id: z.string().describe('Prospect id (pro_...)'),
  email: z.string().describe('Lower-cased email address, unique in the workspace'),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  company: z.string().nullable(),
  title: z.string().nullable().describe('Job title'),
  phone: z.string().nullable(),
  status: z.string().describe(`One of ${PROSPECT_STATUSES.join(', ')}`),
  tags: z.array(z.string()),
  custom_fields: z.record(z.string(), z.unknown()).describe('Free-form fields, usable as template variables'),
  snoozed_until: z
    .string()
    .nullable()
    .describe('YYYY-MM-DD: an out-of-office reply said they are back then; nothing is sent to them before it'),
  follow_up_on: z.string().nullable().describe('YYYY-MM-DD: a "not now" reply named this date to write again'),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const DomainEvent = z.object({
  id: z.string().describe('Event id (evt_...)'),
  type: z.string().describe('What happened, e.g. prospect.created, draft.approved, email.sent, suppression.added'),
  prospect_id: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  actor: ActorOutput,
  is_test: z.boolean().describe('True in test workspaces: nothing reached a real person'),
  created_at: Timestamp,
});

const ProspectIdInput = z
  .string()
  .min(1)
  .max(64)
  .describe('Prospect id (pro_...), as returned by list_prospects or upsert_prospect');
const Status = z.enum(PROSPECT_STATUSES);
// Names, company and title are rendered into subjects, so none of these may hold a line break.
const text = (max: number, what: string) =>
  oneLine(z.string().trim().max(max)).nullable().optional().describe(`${what}; one line; null clears it`);

const listProspects = defineOperation({
  name: 'list_prospects',
  title: 'List prospects',
  toolset: 'prospects',
  scope: 'prospects:read',
  description:
    'List prospects of a workspace, newest first, optionally filtered by status, tag, a text search over email, name and ' +
    'company, and a creation date range. Returns one page and a next_cursor; pass it back as cursor for the next page.',
  input: z.object({
    status: Status.optional().describe('Only prospects with this status'),
    tag: z.string().min(1).max(100).optional().describe('Only prospects carrying this tag'),
    q: z.string().min(1).max(200).optional().describe('Case-insensitive text to find in email, name or company'),
    created_after: z.iso.datetime({ offset: true }).optional().describe('Created at or after this instant'),
    created_before: z.iso.datetime({ offset: true }).optional().describe('Created strictly before this instant'),
    cursor: CursorInput,
    limit: LimitInput,
  }),
  output: pageOutput('prospects', Prospect),
  annotations: readOnly,
  http: { method: 'GET', path: '/prospects' },
  handler: async (ctx, { cursor, limit, ...filters }) =>
    toPageOutput('prospects', await prospects.listProspects(ctx, filters, { cursor, limit })),
});

const getProspect = defineOperation({
  name: 'get_prospect',
  title: 'Get prospect',
  toolset: 'prospects',
  scope: 'prospects:read',
  description: 'Read one prospect by id. Fails with not_found if no such prospect exists in the workspace.',
  input: z.object({ prospect_id: ProspectIdInput }),
  output: z.object({ prospect: Prospect }),
  annotations: readOnly,
  http: { method: 'GET', path: '/prospects/{prospect_id}' },
  handler: async (ctx, { prospect_id }) => ({ prospect: await prospects.getProspect(ctx, prospect_id) }),
});

const upsertProspect = defineOperation({
  name: 'upsert_prospect',
  title: 'Create or update prospect',
  toolset: 'prospects',
  scope: 'prospects:write',
  description:
    'Create a prospect, or update the one with the same email (emails are matched case-insensitively). Only the fields ' +
    'given change: tags replaces the tag list, custom_fields is merged key by key. Calling it again with the same input ' +
    'changes nothing. Returns the prospect, whether it was created, and which fields changed.',
  input: z.object({
    email: z.email().max(254).describe('Email address; identifies the prospect in the workspace'),
    first_name: text(100, 'First name'),
    last_name: text(100, 'Last name'),
    company: text(200, 'Company name'),
    title: text(200, 'Job title'),
    phone: text(50, 'Phone number'),
    status: Status.optional().describe('Pipeline status; new prospects start as "new"'),
    tags: z
      .array(oneLine(z.string().trim().min(1).max(100)))
      .max(50)
      .optional()
      .describe('Replaces the tag list'),
    custom_fields: freeFormInput(z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]), { max: 50 })
      .optional()
      .describe(
        'Extra fields to set (merged into the existing ones), as [{name, value}]; values are strings, numbers, booleans or null',
      ),
  }),
  output: z.object({
    prospect: Prospect,
    created: z.boolean().describe('True if this call created the prospect'),
    changed_fields: z
      .array(z.string())
      .describe('Fields this call changed on an existing prospect; empty when nothing changed'),
  }),
  annotations: idempotentWrite,
  http: { method: 'POST', path: '/prospects', status: 'created' },
  handler: (ctx, { ...input }) => prospects.upsertProspect(ctx, input),
});

const getProspectHistory = defineOperation({
  name: 'get_prospect_history',
  title: 'Get prospect history',
  toolset: 'prospects',
  scope: 'prospects:read',
  description:
    'The timeline of a prospect, oldest first: creation and updates, drafts, sends, opens, clicks, replies, suppression. ' +
    'Use it before contacting someone to see what already happened. Paginated like list_prospects; not_found for an unknown prospect.',
  input: z.object({ prospect_id: ProspectIdInput, cursor: CursorInput, limit: LimitInput }),
  output: pageOutput('events', DomainEvent),
  annotations: readOnly,
  http: { method: 'GET', path: '/prospects/{prospect_id}/history' },
  handler: async (ctx, { prospect_id, cursor, limit }) =>
    toPageOutput('events', await prospects.getProspectHistory(ctx, prospect_id, { cursor, limit })),
});

export const prospectOperations = [listProspects, getProspect, upsertProspect, getProspectHistory];
