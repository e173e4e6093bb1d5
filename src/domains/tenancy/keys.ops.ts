import { z } from 'zod';
import * as keys from './keys.service.js';
import { Timestamp } from '../../operations/inputs.js';
import { destructive, readOnly, write } from '../../operations/presets.js';
import { defineOrgOperation } from '../../operations/define.js';

const ApiKey = z.object({
  id: z.string().describe('Key id (key_...)'),
  name: z.string(),
  prefix: z.string().describe('The first characters of the key, to recognise it'),
  scopes: z.array(z.string()),
  workspaces: z.union([z.literal('all'), z.array(z.string())]).describe('"all", or the granted workspace ids'),
  status: z.enum(['active', 'revoked', 'expired']),
  created_at: Timestamp,
  last_used_at: Timestamp.nullable(),
  expires_at: Timestamp.nullable(),
  revoked_at: Timestamp.nullable(),
  replaced_by: z.string().nullable().describe('Id of the key this one was rotated into; null if it was never rotated'),
});

const CreatedKey = z.object({
  api_key: ApiKey,
  secret: z.string().describe('The key itself. Shown this one time: store it now.'),
});

const KeyIdInput = z.string().min(1).max(64).describe('Key id (key_...)');
const admin = { toolset: 'admin', scope: 'admin', mcp: false } as const;

const createApiKey = defineOrgOperation({
  ...admin,
  name: 'create_api_key',
  title: 'Create API key',
  description:
    'Create an API key with some scopes, granted all workspaces or some. The secret is returned once. A key can only grant ' +
    'scopes and workspaces it holds itself (forbidden otherwise).',
  input: z.object({
    name: z.string().trim().min(1).max(200).describe('What the key is for'),
    scopes: z.array(z.string().min(1).max(64)).min(1).max(50).describe('Scopes such as prospects:read, or * for all'),
    workspaces: z
      .union([z.literal('all'), z.array(z.string().min(1).max(64)).min(1).max(1000)])
      .describe('"all" (every workspace, including future ones) or workspace ids or slugs'),
    expires_at: z.iso.datetime({ offset: true }).optional().describe('When the key stops working; never by default'),
  }),
  output: CreatedKey,
  annotations: write,
  http: { method: 'POST', path: '/keys', status: 201 },
  idempotency: false,
  handler: (ctx, input) => keys.createKey(ctx, input),
});

const listApiKeys = defineOrgOperation({
  ...admin,
  name: 'list_api_keys',
  title: 'List API keys',
  description:
    'List the API keys this key may manage, newest first, with prefix, scopes, workspaces and status. It manages those ' +
    'whose every scope and workspace it holds itself. Secrets are never shown.',
  input: z.object({}),
  output: z.object({ api_keys: z.array(ApiKey) }),
  annotations: readOnly,
  http: { method: 'GET', path: '/keys' },
  handler: async (ctx) => ({ api_keys: await keys.listKeys(ctx) }),
});

const revokeApiKey = defineOrgOperation({
  ...admin,
  name: 'revoke_api_key',
  title: 'Revoke API key',
  description:
    'Revoke an API key at once. Revoking an already revoked key returns it unchanged. A key this key may not manage ' +
    '(one with a scope or workspace it lacks) is not_found.',
  input: z.object({ key_id: KeyIdInput }),
  output: z.object({ api_key: ApiKey }),
  annotations: { ...destructive, idempotentHint: true },
  http: { method: 'POST', path: '/keys/{key_id}/revoke' },
  handler: async (ctx, { key_id }) => ({ api_key: await keys.revokeKey(ctx, key_id) }),
});

const rotateApiKey = defineOrgOperation({
  ...admin,
  name: 'rotate_api_key',
  errors: ['conflict'],
  title: 'Rotate API key',
  description:
    'Replace a key with a new secret that has the same name, scopes and workspaces. The old key stops working after ' +
    'grace_seconds (immediately by default). A key is rotated once: rotating it again (e.g. a retry whose answer was ' +
    'lost) fails with conflict naming the successor; rotate that one if its secret was lost. Also conflict if the key is ' +
    'revoked or expired; not_found for a key this key may not manage. Takes no idempotency key: the result holds a secret.',
  input: z.object({
    key_id: KeyIdInput,
    grace_seconds: z
      .number()
      .int()
      .min(0)
      .max(keys.MAX_GRACE_SECONDS)
      .optional()
      .describe('How long the old secret keeps working, at most 7 days'),
  }),
  output: CreatedKey,
  annotations: destructive,
  http: { method: 'POST', path: '/keys/{key_id}/rotate', status: 201 },
  idempotency: false,
  handler: (ctx, { key_id, grace_seconds }) => keys.rotateKey(ctx, key_id, grace_seconds),
});

export const keyOperations = [createApiKey, listApiKeys, revokeApiKey, rotateApiKey];
