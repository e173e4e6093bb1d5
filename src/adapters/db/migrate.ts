import { DEFAULT_MIGRATION_TABLE, type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import * as drafts from './migrations/2026_11_22_1800_create_drafts.js';
import * as foundation from './migrations/2026_11_22_1500_create_foundation.js';
import * as knowledgeBases from './migrations/2026_11_22_1600_create_knowledge_bases.js';
import * as kbChunksSearchIndex from './migrations/2026_11_22_1900_create_kb_chunks_search_index.js';
import * as templates from './migrations/2026_11_22_1700_create_templates.js';
import * as idempotencyInProgress from './migrations/2026_11_30_1000_idempotency_in_progress.js';
import * as providerEventUnique from './migrations/2026_11_30_1100_provider_event_unique.js';
import * as eventActor from './migrations/2026_11_30_1200_event_actor.js';
import * as apiKeySuccessor from './migrations/2026_12_01_1000_api_key_successor.js';
import * as kbChunkGenerations from './migrations/2026_12_01_1100_kb_chunk_generations.js';
import * as conversations from './migrations/2026_12_02_1000_conversations.js';
import * as kbPartsAndDeferredDeletes from './migrations/2026_12_02_1100_kb_parts_and_deferred_deletes.js';
import * as inboundMail from './migrations/2026_12_02_1200_inbound_mail.js';
import * as eventsKpisIndex from './migrations/2026_12_03_1000_events_kpis_index.js';
import * as webhooks from './migrations/2026_12_03_1000_webhooks.js';
import * as rateLimits from './migrations/2026_12_04_1000_rate_limits.js';
import * as agents from './migrations/2026_12_05_1000_agents.js';
import * as chat from './migrations/2026_12_05_1100_chat.js';
import * as kpiRollup from './migrations/2026_12_05_1500_kpi_rollup.js';
import { sealWebhookSecrets } from './migrations/2026_12_05_1400_webhooks.js';
import type { SecretBox } from '../../kernel/ports.js';
import * as kbSearch from './migrations/2026_12_05_1200_kb_search.js';
import * as consolePerson from './migrations/2026_12_05_1300_console.js';
import * as bookings from './migrations/2026_12_06_1000_bookings.js';
import * as agentRuns from './migrations/2026_12_06_1100_agent_runs.js';

// Listed statically (not read from disk) so the built CLI, the tests and a bundled image all see
// the same migrations without depending on the working directory.
const MIGRATIONS: Record<string, Migration> = {
  '2026_11_22_1500_create_foundation': foundation,
  '2026_11_22_1600_create_knowledge_bases': knowledgeBases,
  '2026_11_22_1700_create_templates': templates,
  '2026_11_22_1800_create_drafts': drafts,
  '2026_11_22_1900_create_kb_chunks_search_index': kbChunksSearchIndex,
  '2026_11_30_1000_idempotency_in_progress': idempotencyInProgress,
  '2026_11_30_1100_provider_event_unique': providerEventUnique,
  '2026_11_30_1200_event_actor': eventActor,
  '2026_12_01_1000_api_key_successor': apiKeySuccessor,
  '2026_12_01_1100_kb_chunk_generations': kbChunkGenerations,
  '2026_12_02_1000_conversations': conversations,
  '2026_12_02_1100_kb_parts_and_deferred_deletes': kbPartsAndDeferredDeletes,
  '2026_12_02_1200_inbound_mail': inboundMail,
  '2026_12_03_1000_events_kpis_index': eventsKpisIndex,
  '2026_12_03_1000_webhooks': webhooks,
  '2026_12_04_1000_rate_limits': rateLimits,
  '2026_12_05_1000_agents': agents,
  '2026_12_05_1100_chat': chat,
  '2026_12_05_1200_kb_search': kbSearch,
  '2026_12_05_1300_console': consolePerson,
  '2026_12_05_1500_kpi_rollup': kpiRollup,
  '2026_12_06_1000_bookings': bookings,
  '2026_12_06_1100_agent_runs': agentRuns,
};

/** What some migrations need from the running server: the secret box, to seal stored secrets. */
export interface MigrationDeps {
  secrets?: SecretBox | undefined;
}

/** Every migration, the ones that need the server's help built with it. */
export const migrationsFor = (deps: MigrationDeps): Record<string, Migration> => ({
  ...MIGRATIONS,
  '2026_12_05_1400_webhooks': sealWebhookSecrets(deps.secrets),
});

/** Every migration's name, in the order they apply. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrationsFor({})).sort();

/**
 * Applies every pending migration; Kysely's migration lock makes concurrent starts safe. Returns the
 * names of those it applied.
 */
export async function migrateToLatest(db: Kysely<any>, deps: MigrationDeps = {}): Promise<string[]> {
  if (await upToDate(db)) return [];
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(deps) };
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Whether the database has applied exactly the migrations this version knows, read in one query.
 * Every start migrates, and Kysely's migrator spends a dozen statements (table checks, its lock) to
 * find nothing to do: on PGlite that is a noticeable share of a stdio start-up. Anything else (a new
 * database, a missing migration, one from a newer version) is left to the migrator, and its errors.
 */
async function upToDate(db: Kysely<any>): Promise<boolean> {
  let names: string[];
  try {
    const { rows } = await sql<{ name: string }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(db);
    names = rows.map((r) => r.name);
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return false; // undefined_table: a new database
    throw err;
  }
  const applied = new Set(names);
  return applied.size === MIGRATION_NAMES.length && MIGRATION_NAMES.every((name) => applied.has(name));
}
