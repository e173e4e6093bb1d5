import type { App } from './app.js';
import { JOBS } from './jobs.js';

/** Runs the background jobs in this process: `serve` and `stdio` both do, so PGlite setups need no other process. */
export async function startWorkers(app: App): Promise<void> {
  const log = app.log.child({ component: 'jobs' });
  for (const job of JOBS) await app.queue.work(job.name, (data, attempt) => job.run(app, log, data, attempt));
}
