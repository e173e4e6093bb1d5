import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../adapters/db/schema.js';

/**
 * Runs `fn` in a transaction, or inside the caller's when `db` already is one. This lets the
 * registry wrap a service call and its idempotency record in one transaction while services
 * stay written as if they were the top level.
 */
export function transact<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db as Transaction<Database>);
  return db.transaction().execute(fn);
}
