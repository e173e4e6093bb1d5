import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';

/** The generation a deleted document points to: no chunk has it, so searches stop seeing its chunks at once. */
const DELETED_GENERATION = 'deleted';

/**
 * Marks a document, or every live document of a knowledge base, deleted: hidden from every read at
 * once, their rows left for the kb.purge job to remove in batches. Returns the rows marked.
 */
export function markDocumentsDeleted(
  trx: Kysely<Database>,
  workspaceId: string,
  which: { knowledgeBaseId: string; documentId?: string },
  now: Date,
) {
  let q = trx
    .updateTable('kb_documents')
    .set({ deleted_at: now, generation: DELETED_GENERATION, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('knowledge_base_id', '=', which.knowledgeBaseId)
    .where('deleted_at', 'is', null);
  if (which.documentId !== undefined) q = q.where('id', '=', which.documentId);
  return q;
}
