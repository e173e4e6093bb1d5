import { type Kysely, sql } from 'kysely';
import type { ApiKeyRow, Database } from '../../adapters/db/schema.js';
import { transact } from '../../kernel/transact.js';
import { generateKey } from './auth.js';
import { ALL_SCOPES, canSeeWorkspace, hasScope } from './scopes.js';
import type { OrgContext, Principal } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { resolveWorkspace } from './workspaces.service.js';

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  /** `"all"`, or the ids of the granted workspaces. */
  workspaces: 'all' | string[];
  status: 'active' | 'revoked' | 'expired';
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  /** The key that replaced this one when it was rotated. */
  replaced_by: string | null;
}

export interface CreatedKey {
  api_key: ApiKey;
  /** The plaintext key: returned once, never stored. */
  secret: string;
}

export interface CreateKeyInput {
  name: string;
  scopes: string[];
  /** `"all"`, or workspace ids or slugs. */
  workspaces: 'all' | string[];
  expires_at?: string | undefined;
  /** A key for this person (a console user): what it does is recorded as done by a person. */
  person?: string | undefined;
}

export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

const KEY_COLUMNS = [
  'id',
  'organization_id',
  'name',
  'prefix',
  'scopes',
  'all_workspaces',
  'created_at',
  'last_used_at',
  'expires_at',
  'revoked_at',
  'replaced_by',
  'person',
] as const;
type KeyRow = Pick<ApiKeyRow, (typeof KEY_COLUMNS)[number]>;

function toApiKey(row: KeyRow, workspaceIds: string[], now: Date): ApiKey {
  const status = row.revoked_at ? 'revoked' : row.expires_at && row.expires_at <= now ? 'expired' : 'active';
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    workspaces: row.all_workspaces ? 'all' : workspaceIds,
    status,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    expires_at: row.expires_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    replaced_by: row.replaced_by,
  };
}

/** Creates a key. A key can only hand out scopes and workspaces it holds itself. */
export async function createKey(ctx: OrgContext, input: CreateKeyInput): Promise<CreatedKey> {
  const unknown = input.scopes.filter((s) => s !== '*' && !(ALL_SCOPES as string[]).includes(s));
  if (unknown.length) {
    throw new AppError(
      'invalid_request',
      `Unknown scope(s): ${unknown.join(', ')}. Known scopes: *, ${ALL_SCOPES.join(', ')}`,
      { param: 'scopes' },
    );
  }
  const beyond = input.scopes.filter((s) => !hasScope(ctx.principal, s));
  if (beyond.length)
    throw new AppError('forbidden', `This key cannot grant scopes it does not hold: ${beyond.join(', ')}`, {
      param: 'scopes',
    });
  if (input.workspaces === 'all' && !ctx.principal.allWorkspaces) {
    throw new AppError('forbidden', 'This key is not granted all workspaces, so it cannot create a key that is', {
      param: 'workspaces',
    });
  }
  const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
  if (expiresAt && expiresAt <= ctx.clock.now())
    throw new AppError('invalid_request', 'expires_at must be in the future', { param: 'expires_at' });

  return transact(ctx.db, async (trx) => {
    const workspaceIds: string[] = [];
    if (input.workspaces !== 'all') {
      for (const ref of input.workspaces) workspaceIds.push((await resolveWorkspace(trx, ctx.principal, ref)).id);
    }
    return insertKey(trx, ctx.principal.organizationId, ctx.clock.now(), {
      name: input.name,
      scopes: [...new Set(input.scopes)],
      allWorkspaces: input.workspaces === 'all',
      workspaceIds: [...new Set(workspaceIds)],
      expiresAt,
      person: input.person ?? null,
    });
  });
}

export async function insertKey(
  db: Kysely<Database>,
  organizationId: string,
  now: Date,
  k: {
    name: string;
    scopes: string[];
    allWorkspaces: boolean;
    workspaceIds: string[];
    expiresAt: Date | null;
    person?: string | null;
  },
): Promise<CreatedKey> {
  if (!k.allWorkspaces && k.workspaceIds.length === 0) {
    throw new AppError('invalid_request', 'A key needs at least one workspace, or "all"', { param: 'workspaces' });
  }
  const { plaintext, prefix, hash } = generateKey();
  const row = await db
    .insertInto('api_keys')
    .values({
      id: newId('key', now),
      organization_id: organizationId,
      name: k.name,
      prefix,
      secret_hash: hash,
      scopes: k.scopes,
      all_workspaces: k.allWorkspaces,
      created_at: now,
      expires_at: k.expiresAt,
      person: k.person ?? null,
    })
    .returning(KEY_COLUMNS)
    .executeTakeFirstOrThrow();
  if (k.workspaceIds.length) {
    await db
      .insertInto('api_key_workspaces')
      .values(k.workspaceIds.map((workspace_id) => ({ organization_id: organizationId, key_id: row.id, workspace_id })))
      .execute();
  }
  return { api_key: toApiKey(row, k.workspaceIds, now), secret: plaintext };
}

/** Keys of the organization that this key may manage (see `manages`), newest first; never their secrets. */
export async function listKeys(ctx: OrgContext): Promise<ApiKey[]> {
  const rows = await ctx.db
    .selectFrom('api_keys')
    .select(KEY_COLUMNS)
    .where('organization_id', '=', ctx.principal.organizationId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const grants = await grantsOf(
    ctx.db,
    rows.map((r) => r.id),
  );
  const now = ctx.clock.now();
  return rows
    .filter((r) => manages(ctx.principal, r, grants.get(r.id) ?? []))
    .map((r) => toApiKey(r, grants.get(r.id) ?? [], now));
}

/** Revokes a key at once. Revoking a revoked key is a no-op that returns it. */
export async function revokeKey(ctx: OrgContext, keyId: string): Promise<ApiKey> {
  return transact(ctx.db, async (trx) => {
    const { row, workspaceIds } = await lockManagedKey(trx, ctx.principal, keyId);
    const now = ctx.clock.now();
    const updated = row.revoked_at
      ? row
      : await trx
          .updateTable('api_keys')
          .set({ revoked_at: now })
          .where('id', '=', row.id)
          .returning(KEY_COLUMNS)
          .executeTakeFirstOrThrow();
    return toApiKey(updated, workspaceIds, now);
  }).finally(() => ctx.keyCache.forget(keyId));
}

/**
 * Replaces a key with a new secret carrying the same name, scopes and workspaces. The old key stops
 * working after `graceSeconds` (immediately by default), so deployments can switch without downtime.
 * A key is rotated once: rotating it again is a conflict naming its successor, which makes a retry
 * safe without storing the new secret anywhere (the client rotates the successor if the secret was lost).
 */
export async function rotateKey(ctx: OrgContext, keyId: string, graceSeconds = 0): Promise<CreatedKey> {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS) {
    throw new AppError(
      'invalid_request',
      `grace_seconds must be a whole number from 0 to ${MAX_GRACE_SECONDS} (7 days)`,
      { param: 'grace_seconds' },
    );
  }
  return transact(ctx.db, async (trx) => {
    const { row, workspaceIds } = await lockManagedKey(trx, ctx.principal, keyId);
    const now = ctx.clock.now();
    // The row is locked, so of two concurrent rotations the second sees the first one's successor here.
    if (row.replaced_by) {
      throw new AppError(
        'conflict',
        `Key ${keyId} was already rotated into ${row.replaced_by}; rotate ${row.replaced_by} instead if its secret was lost`,
        { param: 'key_id' },
      );
    }
    if (row.revoked_at || (row.expires_at && row.expires_at <= now)) {
      throw new AppError('conflict', `Key ${keyId} is no longer active; create a new key instead`);
    }
    const created = await insertKey(trx, row.organization_id, now, {
      name: row.name,
      scopes: row.scopes,
      allWorkspaces: row.all_workspaces,
      workspaceIds,
      expiresAt: row.expires_at,
      person: row.person,
    });
    // Rotation never extends a key's life beyond the expiry it already had.
    const graceEnd = new Date(now.getTime() + graceSeconds * 1000);
    const oldEnd = row.expires_at && row.expires_at < graceEnd ? row.expires_at : graceEnd;
    await trx
      .updateTable('api_keys')
      .set({ replaced_by: created.api_key.id, ...(graceSeconds > 0 ? { expires_at: oldEnd } : { revoked_at: now }) })
      .where('id', '=', row.id)
      .execute();
    return created;
  }).finally(() => ctx.keyCache.forget(keyId));
}

async function lockManagedKey(db: Kysely<Database>, p: Principal, keyId: string) {
  const row = await db
    .selectFrom('api_keys')
    .select(KEY_COLUMNS)
    .where('organization_id', '=', p.organizationId)
    .where('id', '=', keyId)
    .forUpdate()
    .executeTakeFirst();
  const workspaceIds = row ? ((await grantsOf(db, [row.id])).get(row.id) ?? []) : [];
  if (!row || !manages(p, row, workspaceIds))
    throw new AppError('not_found', `API key ${keyId} not found`, { param: 'key_id' });
  return { row, workspaceIds };
}

/**
 * Whether the caller may see, revoke or rotate a key: only when it holds every scope and every
 * workspace of that key (`*` only by `*`, "all workspaces" only by "all workspaces"). Otherwise
 * rotating would hand the caller a secret more powerful than its own, the rule `createKey` applies.
 */
function manages(p: Principal, row: KeyRow, workspaceIds: string[]): boolean {
  if (!row.scopes.every((s) => hasScope(p, s))) return false;
  if (p.allWorkspaces) return true;
  return !row.all_workspaces && workspaceIds.every((id) => canSeeWorkspace(p, id));
}

async function grantsOf(db: Kysely<Database>, keyIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (!keyIds.length) return map;
  const rows = await db
    .selectFrom('api_key_workspaces')
    .select(['key_id', 'workspace_id'])
    .where('key_id', 'in', keyIds)
    .orderBy(sql`workspace_id`)
    .execute();
  for (const r of rows) map.set(r.key_id, [...(map.get(r.key_id) ?? []), r.workspace_id]);
  return map;
}
