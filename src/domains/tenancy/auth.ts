import { createHash, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import type { Clock } from '../../kernel/clock.js';
import type { Principal } from '../../kernel/context.js';
import { randomToken } from '../../kernel/ids.js';
import { policyOf } from './rate-limits.model.js';

const KEY_PREFIX = 'sb_';
const VISIBLE_PREFIX_LENGTH = KEY_PREFIX.length + 8;

export function hashSecret(plaintext: string): string {
  return createHash('sha256').update(plaintext).digest('hex');
}

/** A fresh key: the plaintext (shown once), its visible prefix, and the hash that is stored. */
export function generateKey(): { plaintext: string; prefix: string; hash: string } {
  const plaintext = KEY_PREFIX + randomToken(25);
  return { plaintext, prefix: plaintext.slice(0, VISIBLE_PREFIX_LENGTH), hash: hashSecret(plaintext) };
}

// last_used_at is informational: refreshing it at most once a minute keeps a write off the hot path.
const LAST_USED_RESOLUTION_MS = 60_000;

/** Resolves a presented key to its principal, or null when it is unknown, revoked or expired. */
export async function authenticateKey(
  db: Kysely<Database>,
  clock: Clock,
  plaintext: string,
): Promise<Principal | null> {
  if (!plaintext.startsWith(KEY_PREFIX) || plaintext.length > 200) return null;
  const hash = hashSecret(plaintext);
  // The organization's rate limits come with the key: a request then needs no lookup of its own for them.
  const key = await db
    .selectFrom('api_keys')
    .innerJoin('organizations', 'organizations.id', 'api_keys.organization_id')
    .select([
      'api_keys.id',
      'api_keys.organization_id',
      'api_keys.name',
      'api_keys.scopes',
      'api_keys.all_workspaces',
      'api_keys.secret_hash',
      'api_keys.revoked_at',
      'api_keys.expires_at',
      'api_keys.last_used_at',
      'api_keys.person',
      'organizations.rate_limits',
    ])
    .where('api_keys.secret_hash', '=', hash)
    .executeTakeFirst();
  // The index lookup already matched; the constant-time compare is defence in depth.
  if (!key || !timingSafeEqual(Buffer.from(key.secret_hash), Buffer.from(hash))) return null;
  const now = clock.now();
  if (key.revoked_at || (key.expires_at && key.expires_at <= now)) return null;

  const workspaceIds = key.all_workspaces
    ? []
    : (await db.selectFrom('api_key_workspaces').select('workspace_id').where('key_id', '=', key.id).execute()).map(
        (r) => r.workspace_id,
      );

  if (!key.last_used_at || now.getTime() - key.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', key.id).execute();
  }
  return {
    keyId: key.id,
    organizationId: key.organization_id,
    name: key.name,
    scopes: key.scopes,
    allWorkspaces: key.all_workspaces,
    workspaceIds,
    expiresAt: key.expires_at,
    rateLimits: policyOf(key.rate_limits),
    person: key.person,
  };
}
