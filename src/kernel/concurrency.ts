import { AppError } from './errors.js';

export interface GateLimits {
  /** Calls running at once for one key (an organization). */
  perKey: number;
  /** Calls running at once in the process, whatever their key. */
  total: number;
  /** Calls waiting for one key; more are refused at once with rate_limited. */
  maxQueuedPerKey: number;
  /** How long a call may wait for its turn before it is refused with rate_limited. */
  maxWaitMs: number;
}

interface Waiter {
  start(): void;
  timer: NodeJS.Timeout;
}

/**
 * Limits how many costly calls (knowledge-base searches) run at once, per key and in the process, so
 * that one tenant's burst holds a bounded share of the database pool and other work keeps flowing.
 * Calls over the limit wait their turn in order, briefly; past the queue or the wait they fail with
 * `rate_limited` and a `retry_after_s` the transports turn into Retry-After.
 */
export class ConcurrencyGate {
  private readonly running = new Map<string, number>();
  private runningTotal = 0;
  /** Per key: calls waiting for a slot of their key. */
  private readonly queued = new Map<string, Waiter[]>();
  /** Calls that hold a slot of their key and wait for a slot of the process. */
  private readonly waitingTotal: Waiter[] = [];

  constructor(
    readonly limits: GateLimits,
    /** What is limited, plural, for messages: `knowledge-base searches`. */
    private readonly what = 'requests',
  ) {}

  /** Runs `fn` once a slot is free; the slot is given back when it settles. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    await this.acquire(key);
    try {
      return await fn();
    } finally {
      this.release(key);
    }
  }

  /** Calls of `key` running now (tests, metrics). */
  inFlight(key: string): number {
    return this.running.get(key) ?? 0;
  }

  private async acquire(key: string): Promise<void> {
    if ((this.running.get(key) ?? 0) >= this.limits.perKey) {
      const queue = this.queued.get(key) ?? [];
      if (queue.length >= this.limits.maxQueuedPerKey)
        throw this.busy(`${this.limits.perKey} are running and ${queue.length} waiting for this organization`);
      this.queued.set(key, queue);
      await this.wait(queue, () => this.queued.get(key)?.length === 0 && this.queued.delete(key));
    } else {
      this.running.set(key, (this.running.get(key) ?? 0) + 1);
    }
    if (this.runningTotal >= this.limits.total) {
      try {
        await this.wait(this.waitingTotal, () => {});
      } catch (err) {
        this.releaseKey(key);
        throw err;
      }
    } else {
      this.runningTotal++;
    }
  }

  /** Waits in `queue` until a release hands this call its slot (already counted), or times out. */
  private wait(queue: Waiter[], onTimeout: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          queue.splice(queue.indexOf(waiter), 1);
          onTimeout();
          reject(this.busy(`none was free within ${this.limits.maxWaitMs} ms`));
        }, this.limits.maxWaitMs),
      };
      queue.push(waiter);
    });
  }

  private release(key: string): void {
    const next = this.waitingTotal.shift();
    // The process slot passes straight to the next waiter, so the total never drops and rises again.
    if (next) next.start();
    else this.runningTotal--;
    this.releaseKey(key);
  }

  private releaseKey(key: string): void {
    const queue = this.queued.get(key);
    const next = queue?.shift();
    if (queue && !queue.length) this.queued.delete(key);
    if (next) next.start();
    else {
      const n = (this.running.get(key) ?? 1) - 1;
      if (n > 0) this.running.set(key, n);
      else this.running.delete(key);
    }
  }

  private busy(why: string): AppError {
    const retryAfter = Math.max(1, Math.ceil(this.limits.maxWaitMs / 1000));
    return new AppError('rate_limited', `Too many ${this.what} at once: ${why}. Retry in ${retryAfter} s`, {
      retry_after_s: retryAfter,
    });
  }
}
