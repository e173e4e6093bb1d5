import type { Kysely } from 'kysely';

// A rotated key names the key that replaced it, so a second rotation of the same key (a retry, or two
// admins at once) is refused instead of leaving two live successors during the grace period.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api_keys')
    .addColumn('replaced_by', 'text', (c) => c.references('api_keys.id'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').dropColumn('replaced_by').execute();
}
