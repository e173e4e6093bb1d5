import { z } from 'zod';
import * as drafts from './drafts.service.js';
import { DRAFT_STATUSES } from './drafts.service.js';
import {
  CursorInput,
  FreeFormValue,
  LimitInput,
  Timestamp,
  freeFormInput,
  oneLine,
  pageOutput,
  toPageOutput,
} from '../../operations/inputs.js';
import { idempotentWrite, readOnly, write } from '../../operations/presets.js';
import { defineOperation } from '../../operations/define.js';

const Draft = z.object({
  id: z.string().describe('Draft id (drf_...)'),
  prospect_id: z.string(),
  to_email: z.string(),
  subject: z.string(),
  body: z.string(),
  status: z.enum(DRAFT_STATUSES).describe('pending_approval → approved → sending → sent (or failed); or rejected'),
  variables: z.record(z.string(), z.unknown()),
  provenance: z.record(z.string(), z.unknown()).describe('template_id, template_key, personalized, model, prompt_hash'),
  rejection_reason: z.string().nullable(),
  approved_at: Timestamp.nullable(),
  sent_at: Timestamp.nullable(),
  send_error: z.string().nullable().describe('Why the last send attempt failed'),
  attention: z
    .string()
    .nullable()
    .describe('Why a person should look before approving: set when the prospect replied while the draft was waiting'),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const DraftIdInput = z
  .string()
  .min(1)
  .max(64)
  .describe('Draft id (drf_...), as returned by create_draft or list_drafts');

const createDraft = defineOperation({
  name: 'create_draft',
  errors: ['suppressed', 'upstream_error'],
  title: 'Create draft',
  toolset: 'drafts',
  scope: 'drafts:write',
  description:
    'Prepare an email to a prospect from a template (template_key) and variables. The template is rendered with the ' +
    'prospect ({{prospect.first_name}}, ...), the workspace and your variables; if the workspace enables personalization, ' +
    'Claude rewrites it without adding facts. The draft waits for a human to approve it: nothing is sent yet. Fails with ' +
    'suppressed if the address is on the suppression list, invalid_request listing every missing template variable.',
  input: z.object({
    prospect_id: z.string().min(1).max(64).describe('Prospect id (pro_...)'),
    template_key: z.string().min(1).max(100).describe('Key of an email template (list_templates)'),
    variables: freeFormInput(FreeFormValue, { dotted: true })
      .optional()
      .describe(
        'Values for the template placeholders, as [{name, value}]; a dotted name (prospect.first_name) fills a nested placeholder',
      ),
  }),
  output: z.object({ draft: Draft }),
  annotations: write,
  http: { method: 'POST', path: '/drafts', status: 201 },
  handler: async (ctx, { prospect_id, template_key, variables }) => ({
    draft: await drafts.createDraft(ctx, { prospect_id, template_key, variables: variables ?? {} }),
  }),
});

const listDrafts = defineOperation({
  name: 'list_drafts',
  title: 'List drafts',
  toolset: 'drafts',
  scope: 'drafts:read',
  description:
    'List drafts newest first, optionally by status (e.g. pending_approval) or prospect. Paginated with cursor.',
  input: z.object({
    status: z.enum(DRAFT_STATUSES).optional().describe('Only drafts in this state'),
    prospect_id: z.string().min(1).max(64).optional().describe('Only drafts to this prospect'),
    cursor: CursorInput,
    limit: LimitInput,
  }),
  output: pageOutput('drafts', Draft),
  annotations: readOnly,
  http: { method: 'GET', path: '/drafts' },
  handler: async (ctx, { status, prospect_id, cursor, limit }) =>
    toPageOutput('drafts', await drafts.listDrafts(ctx, { status, prospect_id }, { cursor, limit })),
});

const getDraft = defineOperation({
  name: 'get_draft',
  title: 'Get draft',
  toolset: 'drafts',
  scope: 'drafts:read',
  description: 'Read one draft, with its status and, once sent or failed, when and why.',
  input: z.object({ draft_id: DraftIdInput }),
  output: z.object({ draft: Draft }),
  annotations: readOnly,
  http: { method: 'GET', path: '/drafts/{draft_id}' },
  handler: async (ctx, { draft_id }) => ({ draft: await drafts.getDraft(ctx, draft_id) }),
});

const updateDraft = defineOperation({
  name: 'update_draft',
  errors: ['conflict'],
  title: 'Edit draft',
  toolset: 'drafts',
  scope: 'drafts:write',
  description:
    'Edit the subject or body of a draft that is still pending approval. Fails with conflict once it is approved, rejected or sent.',
  input: z.object({
    draft_id: DraftIdInput,
    subject: oneLine(z.string().trim().min(1).max(500)).optional().describe('New subject, one line'),
    body: z.string().min(1).max(50_000).optional().describe('New body (plain text)'),
  }),
  output: z.object({ draft: Draft }),
  annotations: idempotentWrite,
  http: { method: 'PATCH', path: '/drafts/{draft_id}' },
  handler: async (ctx, { draft_id, subject, body }) => ({
    draft: await drafts.updateDraft(ctx, draft_id, { subject, body }),
  }),
});

const rejectDraft = defineOperation({
  name: 'reject_draft',
  errors: ['conflict'],
  title: 'Reject draft',
  toolset: 'drafts',
  scope: 'drafts:approve',
  description:
    'Reject a pending draft with a reason, so it is never sent. Fails with conflict if it is not pending approval.',
  input: z.object({
    draft_id: DraftIdInput,
    reason: z.string().trim().min(1).max(1000).describe('Why it is rejected'),
  }),
  output: z.object({ draft: Draft }),
  annotations: write,
  http: { method: 'POST', path: '/drafts/{draft_id}/reject' },
  handler: async (ctx, { draft_id, reason }) => ({ draft: await drafts.rejectDraft(ctx, draft_id, reason) }),
});

const approveDraft = defineOperation({
  name: 'approve_draft',
  errors: ['conflict', 'suppressed'],
  title: 'Approve draft',
  toolset: 'drafts',
  scope: 'drafts:approve',
  description:
    'Approve a draft that a human has reviewed, so it is sent (by a background job, within the workspace caps and sending ' +
    'window). Returns the updated draft. Fails with conflict if it is not pending approval, suppressed if the address ' +
    'was suppressed meanwhile.',
  input: z.object({ draft_id: DraftIdInput }),
  output: z.object({ draft: Draft }),
  annotations: { ...write, idempotentHint: true, openWorldHint: true },
  http: { method: 'POST', path: '/drafts/{draft_id}/approve' },
  handler: async (ctx, { draft_id }) => ({ draft: await drafts.approveDraft(ctx, draft_id) }),
});

export const draftOperations = [createDraft, listDrafts, getDraft, updateDraft, rejectDraft, approveDraft];
