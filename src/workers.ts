import type { App } from './app.js';
import { knowledgeJobs } from './domains/knowledge/index.js';
import { outreachJobs } from './domains/outreach/index.js';
import type { JobDefinition, JobName } from './kernel/ports.js';

/** Every domain's background jobs. */
const JOBS: readonly JobDefinition[] = [...knowledgeJobs, ...outreachJobs] as readonly JobDefinition<JobName>[];
export const JOB_NAMES = JOBS.map((j) => j.name);

/** Runs the background jobs in this process: `serve` and `stdio` both do, so PGlite setups need no other process. */
export async function startWorkers(app: App): Promise<void> {
  const log = app.log.child({ component: 'jobs' });
  for (const job of JOBS) await app.queue.work(job.name, (data, attempt) => job.run(app, log, data, attempt));
}
