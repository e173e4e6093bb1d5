import { escalationJobs } from './domains/escalations/index.js';
import { knowledgeJobs } from './domains/knowledge/index.js';
import { outreachJobs } from './domains/outreach/index.js';
import { inboundJobs } from './domains/replies/index.js';
import type { JobDefinition } from './kernel/ports.js';

/** Every domain's background jobs: the queue creates their queues, the workers run them. */
export const JOBS: readonly JobDefinition[] = [...knowledgeJobs, ...outreachJobs, ...escalationJobs, ...inboundJobs];
export const JOB_NAMES = JOBS.map((j) => j.name);
