import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
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
import * as inboundMail from './migrations/2026_12_02_1100_inbound_mail.js';

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
  '2026_12_02_1100_inbound_mail': inboundMail,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Applies every pending migration; Kysely's migration lock makes concurrent starts safe. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
