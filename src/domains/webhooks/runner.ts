import type { Logger } from 'pino';
import type { Services } from '../../kernel/context.js';
import { AttemptRecorder, type ClaimedDelivery, attemptDelivery, claimDueDeliveries } from './deliver.job.js';
import { dispatchEvents } from './dispatcher.js';
import { newAgents } from './post.js';

/** Attempts one process runs at once, whatever their endpoints. */
const MAX_IN_FLIGHT = 256;
const DISPATCH_BATCH = 500;

/**
 * One process's webhook worker: every `pollMs` (and at once while there is more to do) it turns new
 * outbox events into deliveries and claims due deliveries, then POSTs them in parallel, at most
 * `concurrencyPerEndpoint` per endpoint so a slow receiver holds up only its own deliveries. All
 * state is in the database: any number of processes run one each, and a process that dies loses
 * nothing (its claims expire and are taken over).
 */
export class WebhookRunner {
  private readonly inFlight = new Map<string, number>();
  private total = 0;
  private readonly running = new Set<Promise<unknown>>();
  private readonly agents = newAgents(MAX_IN_FLIGHT);
  private readonly recorder: AttemptRecorder;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private dispatchDue = true;
  private lastDispatch = 0;

  constructor(
    private readonly services: Pick<Services, 'db' | 'clock' | 'webhooks' | 'secrets'>,
    private readonly log: Logger,
  ) {
    this.recorder = new AttemptRecorder(services);
  }

  start(): void {
    this.wake();
  }

  /** Runs a pass now, or right after the one under way. */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.ticking = this.tick()
      .catch((err) => this.log.warn({ err }, 'webhook pass failed; trying again shortly'))
      .finally(() => {
        this.ticking = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          setImmediate(() => this.wake());
        } else this.timer = setTimeout(() => this.wake(), this.services.webhooks.pollMs);
      });
  }

  private async tick(): Promise<void> {
    // New events are looked for on the timer (and while a pass finds a full batch), not after every attempt:
    // under load that query, run per finished batch of attempts, was a fair share of the database's work.
    const now = this.services.clock.now().getTime();
    if (this.dispatchDue || now - this.lastDispatch >= this.services.webhooks.pollMs) {
      this.dispatchDue = false;
      this.lastDispatch = now;
      const dispatched = await dispatchEvents(this.services, DISPATCH_BATCH);
      if (dispatched === DISPATCH_BATCH) {
        this.dispatchDue = true;
        this.again = true;
      }
    }
    const room = MAX_IN_FLIGHT - this.total;
    const cap = this.services.webhooks.concurrencyPerEndpoint;
    const claimed = await claimDueDeliveries(this.services, room, (key) => cap - (this.inFlight.get(key) ?? 0));
    for (const d of claimed) this.run(d);
  }

  private run(d: ClaimedDelivery): void {
    const key = `${d.workspace_id}/${d.endpoint_id}`;
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    this.total++;
    const p = attemptDelivery(this.services, this.log, d, { agents: this.agents }, this.recorder)
      .catch((err) => this.log.error({ err, deliveryId: d.id }, 'webhook attempt not recorded; its claim will expire'))
      .finally(() => {
        this.running.delete(p);
        const n = (this.inFlight.get(key) ?? 1) - 1;
        if (n) this.inFlight.set(key, n);
        else this.inFlight.delete(key);
        this.total--;
        // A slot is free: more may be due.
        this.wake();
      });
    this.running.add(p);
  }

  /** Stops claiming and waits for the attempts under way (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.running]);
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
