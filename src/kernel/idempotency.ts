import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../adapters/db/schema.js';
import { transact } from './transact.js';
import type { Clock } from './clock.js';
import { AppError } from './errors.js';

/** How long a key is remembered; a later repeat runs again, as with Stripe. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export const requestHash = (operation: string, input: unknown): string =>
  createHash('sha256').update(operation).update('\0').update(canonicalJson(input)).digest('hex');

/** JSON with object keys sorted, so the same input hashes the same whatever its key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Runs a write at most once per (API key, idempotency key). The key row is inserted first in the same
 * transaction as the write, so a concurrent repeat waits on it and then replays the stored result,
 * and a failed write leaves no record behind (a retry runs it again).
 */
export async function runIdempotent<T>(
  db: Kysely<Database>,
  clock: Clock,
  scope: { organizationId: string; apiKeyId: string; key: string; operation: string; hash: string },
  run: (trx: Kysely<Database>) => Promise<T>,
): Promise<{ result: T; replayed: boolean }> {
  return transact(db, async (trx) => {
    const now = clock.now();
    await trx
      .deleteFrom('idempotency_keys')
      .where('api_key_id', '=', scope.apiKeyId)
      .where('key', '=', scope.key)
      .where('created_at', '<', new Date(now.getTime() - IDEMPOTENCY_TTL_MS))
      .execute();
    const claimed = await trx
      .insertInto('idempotency_keys')
      .values({ organization_id: scope.organizationId, api_key_id: scope.apiKeyId, key: scope.key, operation: scope.operation, request_hash: scope.hash, response: 'null', created_at: now })
      .onConflict((oc) => oc.columns(['api_key_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!claimed) {
      const prior = await trx
        .selectFrom('idempotency_keys')
        .select(['operation', 'request_hash', 'response'])
        .where('api_key_id', '=', scope.apiKeyId)
        .where('key', '=', scope.key)
        .executeTakeFirstOrThrow();
      if (prior.operation !== scope.operation || prior.request_hash !== scope.hash) {
        throw new AppError(
          'conflict',
          `Idempotency key "${scope.key}" was already used for a different request (${prior.operation}); use a new key for a new request`,
          { param: 'idempotency_key' },
        );
      }
      return { result: prior.response as T, replayed: true };
    }
    const result = await run(trx);
    await trx
      .updateTable('idempotency_keys')
      .set({ response: JSON.stringify(result) })
      .where('api_key_id', '=', scope.apiKeyId)
      .where('key', '=', scope.key)
      .execute();
    return { result, replayed: false };
  });
}
