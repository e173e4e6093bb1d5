import type { App } from './app.js';
import { ingestDocument } from './domains/knowledge/ingest.job.js';
import { sendApprovedDraft } from './domains/outreach/send.job.js';

/** Runs the background jobs in this process: `serve` and `stdio` both do, so PGlite setups need no other process. */
export async function startWorkers(app: App): Promise<void> {
  const log = app.log.child({ component: 'jobs' });
  await app.jobs.work('kb.ingest', (data, job) => ingestDocument(app, log, data, job));
  await app.jobs.work('outreach.send', (data, job) => sendApprovedDraft(app, log, data, job));
}
