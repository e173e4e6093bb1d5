import type { Kysely } from 'kysely';

// Chat (issue #13, the Orckai API). A message a model wrote carries how it was generated: the model,
// its token usage, why it stopped, and whether it is complete or was cut short (the client went away
// or the provider failed mid-answer: the part received is kept, marked `partial`). Null for every
// message no model wrote (emails, replies, what people type).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('generation', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('generation').execute();
}
