import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../adapters/db/schema.js';

/**
 * Runs `fn` in a transaction, or inside the caller's when `db` already is one, so a service can be
 * composed into a larger transaction while written as if it were the top level.
 */
export function transact<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db as Transaction<Database>);
  return db.transaction().execute(fn);
}
