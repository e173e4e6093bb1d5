import { type Kysely, sql } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import { transact } from '../../kernel/transact.js';
import type { Clock } from '../../kernel/clock.js';
import { type CreatedKey, insertKey } from './keys.service.js';
import { defaultOrganization, insertWorkspace } from './workspaces.service.js';

export interface Bootstrap {
  organizationId: string;
  workspaceSlug: string;
  key: CreatedKey;
}

/**
 * On a database with no API key at all, makes the first one so a newcomer can connect at once:
 * the default organization, an `is_test` workspace `demo` (nothing it does reaches real people),
 * and a full-scope key. Returns null when keys already exist.
 */
export async function bootstrapIfEmpty(db: Kysely<Database>, clock: Clock): Promise<Bootstrap | null> {
  const organizationId = await defaultOrganization(db, clock);
  return transact(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('switchboard.bootstrap'))`.execute(trx);
    const anyKey = await trx.selectFrom('api_keys').select('id').limit(1).executeTakeFirst();
    if (anyKey) return null;
    const existing = await trx
      .selectFrom('workspaces')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('slug', '=', 'demo')
      .executeTakeFirst();
    if (!existing) await insertWorkspace(trx, clock, organizationId, { name: 'Demo', slug: 'demo', is_test: true });
    const key = await insertKey(trx, organizationId, clock.now(), {
      name: 'bootstrap',
      scopes: ['*'],
      allWorkspaces: true,
      workspaceIds: [],
      expiresAt: null,
    });
    return { organizationId, workspaceSlug: 'demo', key };
  });
}
