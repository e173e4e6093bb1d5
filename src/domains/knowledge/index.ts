import { ingestJob } from './ingest.job.js';
import { purgeJob } from './purge.job.js';

export { MAX_DOCUMENT_BYTES } from './documents.service.js';
export { knowledgeOperations } from './knowledge.ops.js';

/** The jobs this domain runs in the background. */
export const knowledgeJobs = [ingestJob, purgeJob] as const;
export { type SearchResult, searchKnowledgeBases } from './search.service.js';
export { listKnowledgeBases } from './bases.service.js';
