import type { App } from './app.js';
import { WebhookRunner } from './domains/webhooks/index.js';
import { JOBS } from './jobs.js';
import { reviveStalledPolls } from './domains/replies/index.js';
import { recoverStaleRuns } from './domains/agents/index.js';

/** How often the workers look for agent runs a crash left running. */
const STALE_RUN_SWEEP_MS = 60_000;

/** Runs the background jobs in this process: `serve` and `stdio` both do, so PGlite setups need no other process. */
export async function startWorkers(app: App): Promise<void> {
  const log = app.log.child({ component: 'jobs' });
  for (const job of JOBS) await app.queue.work(job.name, (data, attempt) => job.run(app, log, data, attempt));
  // IMAP polls reschedule themselves; this restarts a chain that died (its job out of retries in a long
  // database outage), now and every interval. Errors are only logged: the next round tries again.
  const revive = () =>
    reviveStalledPolls(app).then(
      (n) => n && log.info({ mailboxes: n }, 'restarted stalled IMAP polling'),
      (err: unknown) => log.debug({ err }, 'could not check IMAP polling'),
    );
  await revive();
  setInterval(revive, app.inbound.pollIntervalMs).unref();
  // An agent run whose process died between storing the message and storing the answer stays
  // `running`; past the run time cap it is marked failed (with message.failed), now and every minute.
  const recoverRuns = () =>
    recoverStaleRuns(app).then(
      (n) => n && log.warn({ executions: n }, 'marked interrupted agent runs as failed'),
      (err: unknown) => log.debug({ err }, 'could not check for interrupted agent runs'),
    );
  await recoverRuns();
  setInterval(recoverRuns, STALE_RUN_SWEEP_MS).unref();
  // Webhooks run their own loop over their delivery table (see runner.ts), stopped before the queue when the app closes.
  const webhooks = new WebhookRunner(app, app.log.child({ component: 'webhooks' }));
  webhooks.start();
  app.onClose(() => webhooks.stop());
}
