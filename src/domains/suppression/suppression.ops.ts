import { z } from 'zod';
import * as suppression from './suppression.service.js';
import { CursorInput, LimitInput, Timestamp, pageOutput, toPageOutput } from '../../operations/inputs.js';
import { destructive, idempotentWrite, readOnly } from '../../operations/presets.js';
import { defineOperation } from '../../operations/define.js';

const Suppression = z.object({
  id: z.string().describe('Entry id (sup_...)'),
  kind: z.enum(['email', 'domain']),
  value: z.string().describe('A lower-cased address, or @domain for a whole domain'),
  reason: z.string(),
  source: z.string().describe('Who added it: api, unsubscribe, bounce or complaint'),
  created_at: Timestamp,
});

const Target = z
  .string()
  .trim()
  .min(3)
  .max(254)
  .describe('An email address (jane@example.com) or a whole domain (@example.com)');

const addToSuppressionList = defineOperation({
  name: 'add_to_suppression_list',
  title: 'Add to suppression list',
  toolset: 'suppression',
  scope: 'suppression:write',
  description:
    'Stop all email to an address, or to a whole domain written as @example.com: nothing is drafted or sent to it ' +
    'afterwards. Use it when someone asks not to be contacted. Adding an entry that exists returns it with created=false.',
  input: z.object({
    email: Target,
    reason: z.string().trim().min(1).max(500).describe('Why, in a few words (e.g. "asked to be removed")'),
  }),
  output: z.object({ suppression: Suppression, created: z.boolean().describe('False if the entry already existed') }),
  annotations: idempotentWrite,
  http: { method: 'POST', path: '/suppressions', status: 'created' },
  handler: (ctx, { email, reason }) => suppression.addSuppression(ctx, { email, reason }),
});

const checkSuppression = defineOperation({
  name: 'check_suppression',
  title: 'Check suppression',
  toolset: 'suppression',
  scope: 'suppression:read',
  description:
    'Check whether an address may be contacted: suppressed is true when the address or its domain is on the suppression ' +
    'list, and matches lists the entries responsible.',
  input: z.object({ email: Target }),
  output: z.object({
    email: z.string().describe('The normalised address checked'),
    suppressed: z.boolean(),
    matches: z.array(Suppression),
  }),
  annotations: readOnly,
  http: { method: 'GET', path: '/suppressions/check' },
  handler: (ctx, { email }) => suppression.checkSuppression(ctx, email),
});

const listSuppressions = defineOperation({
  name: 'list_suppressions',
  title: 'List suppressions',
  toolset: 'suppression',
  scope: 'suppression:read',
  description:
    'List suppression entries, newest first, optionally only addresses or only domains, or containing some text. Paginated with cursor.',
  input: z.object({
    kind: z.enum(['email', 'domain']).optional().describe('Only addresses, or only domains'),
    q: z.string().min(1).max(200).optional().describe('Text the entry contains'),
    cursor: CursorInput,
    limit: LimitInput,
  }),
  output: pageOutput('suppressions', Suppression),
  annotations: readOnly,
  http: { method: 'GET', path: '/suppressions' },
  handler: async (ctx, { kind, q, cursor, limit }) =>
    toPageOutput('suppressions', await suppression.listSuppressions(ctx, { kind, q }, { cursor, limit })),
});

const removeSuppression = defineOperation({
  name: 'remove_suppression',
  title: 'Remove suppression',
  toolset: 'suppression',
  scope: 'admin',
  mcp: false,
  description:
    'Remove a suppression entry so the address may be contacted again. Administrative: needs the admin scope and is recorded as an event.',
  input: z.object({ suppression_id: z.string().min(1).max(64).describe('Entry id (sup_...)') }),
  output: z.object({ suppression: Suppression }),
  annotations: destructive,
  http: { method: 'DELETE', path: '/suppressions/{suppression_id}' },
  handler: async (ctx, { suppression_id }) => ({
    suppression: await suppression.removeSuppression(ctx, suppression_id),
  }),
});

export const suppressionOperations = [addToSuppressionList, checkSuppression, listSuppressions, removeSuppression];
