import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../adapters/db/schema.js';
import type { Clock } from './clock.js';
import { AppError } from './errors.js';
import { randomToken } from './ids.js';

/** How long a key is remembered; a later repeat runs again, as with Stripe. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/**
 * How long a key may stay claimed before the claim counts as abandoned (its process died between
 * claiming the key and storing the result) and a repeat takes it over. It must exceed the longest
 * a request legitimately runs, or a slow request would run twice: create_draft's Claude call may take
 * 3 attempts of 60 s plus backoff, add_document with wait=true 120 s. Short enough that a crash
 * blocks its key for minutes rather than for the whole TTL.
 */
export const IDEMPOTENCY_CLAIM_STALE_MS = 10 * 60 * 1000;

export const requestHash = (operation: string, input: unknown): string =>
  createHash('sha256').update(operation).update('\0').update(canonicalJson(input)).digest('hex');

/** JSON with object keys sorted, so the same input hashes the same whatever its key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface IdempotencyScope {
  organizationId: string;
  apiKeyId: string;
  key: string;
  operation: string;
  hash: string;
}

/**
 * Runs a write at most once per (API key, idempotency key), as Stripe does: the key is claimed in a
 * short transaction, `run` goes outside any transaction (it may wait on jobs or call Claude, and its
 * services open their own), and its result is stored in a second short transaction. A repeat while
 * the first runs is a retryable conflict; a repeat afterwards replays the stored result. A failed
 * `run` releases the claim, so a retry runs again.
 */
export async function runIdempotent<T>(
  db: Kysely<Database>,
  clock: Clock,
  scope: IdempotencyScope,
  run: () => Promise<T>,
): Promise<{ result: T; replayed: boolean }> {
  // Inside a caller's transaction the claim would stay invisible to repeats until that commits, and
  // the handler's wait would hold it open: the very thing this design avoids.
  if (db.isTransaction) throw new Error('runIdempotent must be given the database, not a transaction');
  // Names this claim, so that if it is taken over as abandoned, this request touches only its own row.
  const token = randomToken(16);
  const prior = await claim(db, clock, scope, token);
  if (prior) return { result: prior.response as T, replayed: true };

  let result: T;
  try {
    result = await run();
  } catch (err) {
    // Should the release fail too (database gone), the claim goes stale and is taken over later.
    await db
      .deleteFrom('idempotency_keys')
      .where('api_key_id', '=', scope.apiKeyId)
      .where('key', '=', scope.key)
      .where('claim_token', '=', token)
      .execute()
      .catch(() => {});
    throw err;
  }
  // Matches nothing if the claim was taken over as abandoned: the successor's row is left alone,
  // and this caller still gets the result of the work that was done.
  await db
    .updateTable('idempotency_keys')
    .set({ response: JSON.stringify(result), claim_token: null })
    .where('api_key_id', '=', scope.apiKeyId)
    .where('key', '=', scope.key)
    .where('claim_token', '=', token)
    .execute();
  return { result, replayed: false };
}

/** Claims the key for `token`, or returns the stored result to replay; throws conflict otherwise. */
async function claim(
  db: Kysely<Database>,
  clock: Clock,
  scope: IdempotencyScope,
  token: string,
): Promise<{ response: unknown } | undefined> {
  return db.transaction().execute(async (trx) => {
    const now = clock.now().getTime();
    await trx
      .deleteFrom('idempotency_keys')
      .where('api_key_id', '=', scope.apiKeyId)
      .where('key', '=', scope.key)
      .where((eb) =>
        eb.or([
          eb('created_at', '<', new Date(now - IDEMPOTENCY_TTL_MS)),
          eb.and([
            eb('claim_token', 'is not', null),
            eb('created_at', '<', new Date(now - IDEMPOTENCY_CLAIM_STALE_MS)),
          ]),
        ]),
      )
      .execute();
    const claimed = await trx
      .insertInto('idempotency_keys')
      .values({
        organization_id: scope.organizationId,
        api_key_id: scope.apiKeyId,
        key: scope.key,
        operation: scope.operation,
        request_hash: scope.hash,
        response: 'null',
        created_at: new Date(now),
        claim_token: token,
      })
      .onConflict((oc) => oc.columns(['api_key_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (claimed) return undefined;

    const prior = await trx
      .selectFrom('idempotency_keys')
      .select(['operation', 'request_hash', 'response', 'claim_token'])
      .where('api_key_id', '=', scope.apiKeyId)
      .where('key', '=', scope.key)
      .executeTakeFirst();
    if (prior && (prior.operation !== scope.operation || prior.request_hash !== scope.hash)) {
      throw new AppError(
        'conflict',
        `Idempotency key "${scope.key}" was already used for a different request (${prior.operation}); use a new key for a new request`,
        { param: 'idempotency_key' },
      );
    }
    // No row: the request holding the key failed and released it between our insert and this read.
    if (!prior || prior.claim_token !== null) {
      throw new AppError(
        'conflict',
        `A request with idempotency key "${scope.key}" is still in progress; this is retryable: repeat the same request in a moment to get its result`,
        { param: 'idempotency_key' },
      );
    }
    return { response: prior.response };
  });
}
