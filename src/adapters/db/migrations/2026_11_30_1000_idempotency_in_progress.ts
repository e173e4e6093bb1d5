import type { Kysely } from 'kysely';

// A request with an idempotency key is claimed in one short transaction and its result stored in
// another, with the handler running in between outside any transaction. claim_token marks the row
// as in progress (null once the result is stored) and names the claim that owns it, so a request
// whose abandoned claim was taken over cannot overwrite or delete its successor's row.
// Rows already there hold stored results: null is right for them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').addColumn('claim_token', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  // In-progress claims have no result to keep; without the column they would read as stored results.
  await db.deleteFrom('idempotency_keys').where('claim_token', 'is not', null).execute();
  await db.schema.alterTable('idempotency_keys').dropColumn('claim_token').execute();
}
