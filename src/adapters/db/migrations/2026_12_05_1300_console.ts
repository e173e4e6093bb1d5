import { type Kysely, sql } from 'kysely';

// A key made for a person (`switchboard keys create --person`): what that key does is recorded as
// done by a person, not by a key (ARCHITECTURE.md, "Actors").
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api_keys')
    .addColumn('person', 'text', (c) => c.check(sql`char_length(person) between 1 and 200`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').dropColumn('person').execute();
}
