import { type Kysely, sql } from 'kysely';
import type { Clock } from '../../kernel/clock.js';
import { AppError } from '../../kernel/errors.js';
import type { RateLimitAdmission, RateLimitPolicy, RateLimitWindow, RateLimiter } from '../../kernel/ports.js';
import type { Database } from '../db/schema.js';

/*
 * Per-key request limits whose counters live in PostgreSQL (the UNLOGGED rate_limit_counters
 * table), so every process on one database draws from the same budget.
 *
 * One row per key holds the minute, hour and day windows; one INSERT ... ON CONFLICT DO UPDATE
 * counts against all three at once under the row's lock, resets a window whose time is up, and
 * grants only what every window still has (nothing once one is exhausted: a refused request costs
 * no budget). So the check is one round trip, never more.
 *
 * Leases make most requests cost none: a process takes a small batch of requests at once (a 50th
 * of its tightest limit, at most 1000, more when requests queue up) and spends it locally until it
 * runs out or a window ends. Every leased request is counted in PostgreSQL before it is spent, so
 * processes together never admit more than a limit; what they give up is at most one unspent lease
 * per process and window (2 % of the limit each), never more than the limit. A window found
 * exhausted is remembered until it resets (counts only grow inside a window, so it stays
 * exhausted), and those requests are refused without a round trip either.
 *
 * The in-flight cap is counted in this process only (a shared count would cost a write at both ends
 * of every request): with N processes behind a balancer a key may have up to N x in_flight at once.
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const WINDOWS = [
  { name: 'minute', ms: MINUTE, of: (p: RateLimitPolicy) => p.perMinute },
  { name: 'hour', ms: HOUR, of: (p: RateLimitPolicy) => p.perHour },
  { name: 'day', ms: DAY, of: (p: RateLimitPolicy) => p.perDay },
] as const;
const MAX_LEASE = 1000;
const MAX_KEYS = 10_000;

interface WindowState {
  name: string;
  limit: number;
  /** The window's count in PostgreSQL after the last statement, leased requests included. */
  count: number;
  resetAt: number;
}

interface KeyState {
  keyId: string;
  policy: RateLimitPolicy;
  windows: WindowState[];
  /** Requests leased from PostgreSQL and not spent yet; usable before `leaseUntil`. */
  leased: number;
  leaseUntil: number;
  /** The resets of the minute, hour and day windows the lease was counted in: an unspent lease is given back to those still running. */
  leasedIn: [number, number, number];
  /** Set when a window was found exhausted: refused locally until it resets. */
  blocked: WindowState | undefined;
  refill: Promise<void> | undefined;
  waiting: number;
  inFlight: number;
}

const samePolicy = (a: RateLimitPolicy, b: RateLimitPolicy) =>
  a.perMinute === b.perMinute && a.perHour === b.perHour && a.perDay === b.perDay && a.inFlight === b.inFlight;

const windowsOf = (p: RateLimitPolicy) => WINDOWS.filter((w) => w.of(p) !== null);

export class PostgresRateLimiter implements RateLimiter {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async admit(keyId: string, policy: RateLimitPolicy): Promise<RateLimitAdmission> {
    const state = this.stateOf(keyId, policy);
    if (policy.inFlight !== null && state.inFlight >= policy.inFlight) {
      throw new AppError(
        'rate_limited',
        `Too many requests at once: this API key may have ${policy.inFlight} in flight. Retry in 1 s`,
        { retry_after_s: 1, rate_limit: this.tightest(state) },
      );
    }
    state.inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      state.inFlight--;
    };
    try {
      await this.take(state);
    } catch (err) {
      release();
      throw err;
    }
    return { window: this.tightest(state), release };
  }

  private stateOf(keyId: string, policy: RateLimitPolicy): KeyState {
    let state = this.keys.get(keyId);
    if (state && !samePolicy(state.policy, policy)) {
      // New limits: what was learnt under the old ones (an exhausted window) no longer holds.
      state.policy = policy;
      state.blocked = undefined;
      state.windows = [];
      // Refill at once: the unspent lease goes back (the next statement subtracts it) and a new one is sized for the new limits.
      state.leaseUntil = 0;
    }
    if (!state) {
      if (this.keys.size >= MAX_KEYS) this.evictIdle();
      state = {
        keyId,
        policy,
        windows: [],
        leased: 0,
        leaseUntil: 0,
        leasedIn: [0, 0, 0],
        blocked: undefined,
        refill: undefined,
        waiting: 0,
        inFlight: 0,
      };
      this.keys.set(keyId, state);
    }
    return state;
  }

  private evictIdle(): void {
    for (const [keyId, s] of this.keys) if (s.inFlight === 0 && !s.refill) this.keys.delete(keyId);
  }

  /** Spends one request of the lease, refilling it from PostgreSQL (one statement, shared by concurrent requests) when empty. */
  private async take(state: KeyState): Promise<void> {
    if (windowsOf(state.policy).length === 0) return;
    for (;;) {
      const now = this.clock.now().getTime();
      if (state.blocked && state.blocked.resetAt > now) throw this.over(state.blocked, now);
      state.blocked = undefined;
      if (state.leased > 0 && now < state.leaseUntil) {
        state.leased--;
        return;
      }
      if (state.refill) {
        state.waiting++;
        try {
          await state.refill;
        } finally {
          state.waiting--;
        }
        continue;
      }
      state.refill = this.refill(state, now).finally(() => {
        state.refill = undefined;
      });
      await state.refill;
    }
  }

  private async refill(state: KeyState, now: number): Promise<void> {
    const { policy } = state;
    const limits = WINDOWS.map((w) => w.of(policy));
    const tightest = Math.min(...limits.filter((l): l is number => l !== null));
    const want = Math.min(tightest, Math.max(1, Math.min(MAX_LEASE, Math.floor(tightest / 50)), state.waiting + 1));
    const row = await this.count(state.keyId, limits, want, now, state.leased, state.leasedIn);
    state.windows = windowsOf(policy).map((w) => ({
      name: w.name,
      limit: w.of(policy)!,
      count: Number(row[`${w.name}_count`]),
      resetAt: Number(row[`${w.name}_reset`]),
    }));
    state.leased = row.granted;
    state.leasedIn = [Number(row.minute_reset), Number(row.hour_reset), Number(row.day_reset)];
    state.leaseUntil = Math.min(...state.windows.map((w) => w.resetAt));
    if (row.granted === 0) {
      const exhausted = state.windows.filter((w) => w.count >= w.limit);
      state.blocked = exhausted.reduce((a, b) => (b.resetAt > a.resetAt ? b : a), exhausted[0] ?? state.windows[0]!);
    }
  }

  /**
   * The one statement: resets the windows whose time is up, gives back the unspent part of the
   * previous lease to the windows it was counted in (if they still run), grants `want` requests or
   * what the tightest window has left (0 once one is exhausted), and adds the grant to every window.
   */
  private async count(
    keyId: string,
    [m, h, d]: (number | null)[],
    want: number,
    now: number,
    unspent: number,
    leasedIn: [number, number, number],
  ) {
    const known = { minute: leasedIn[0], hour: leasedIn[1], day: leasedIn[2] };
    const fresh = (col: 'minute' | 'hour' | 'day') =>
      sql`(case when c.${sql.ref(`${col}_reset`)} <= ${now}::bigint then 0
        when c.${sql.ref(`${col}_reset`)} = ${known[col]}::bigint then greatest(0, c.${sql.ref(`${col}_count`)} - ${unspent}::int)
        else c.${sql.ref(`${col}_count`)} end)`;
    const reset = (col: 'minute' | 'hour' | 'day', ms: number) =>
      sql`(case when c.${sql.ref(`${col}_reset`)} <= ${now}::bigint then ${now + ms}::bigint else c.${sql.ref(`${col}_reset`)} end)`;
    // least() skips nulls: a window without a limit grants anything.
    const grant = sql`greatest(0, least(${want}::int, ${m}::int - ${fresh('minute')}, ${h}::int - ${fresh('hour')}, ${d}::int - ${fresh('day')}))`;
    const first = Math.max(0, Math.min(want, ...[m, h, d].filter((l): l is number => l !== null)));
    const { rows } = await sql<{
      minute_count: number;
      minute_reset: string;
      hour_count: number;
      hour_reset: string;
      day_count: number;
      day_reset: string;
      granted: number;
    }>`
      insert into rate_limit_counters as c
        (key_id, minute_count, minute_reset, hour_count, hour_reset, day_count, day_reset, granted)
      values (${keyId}, ${first}, ${now + MINUTE}, ${first}, ${now + HOUR}, ${first}, ${now + DAY}, ${first})
      on conflict (key_id) do update set
        minute_count = ${fresh('minute')} + ${grant},
        minute_reset = ${reset('minute', MINUTE)},
        hour_count = ${fresh('hour')} + ${grant},
        hour_reset = ${reset('hour', HOUR)},
        day_count = ${fresh('day')} + ${grant},
        day_reset = ${reset('day', DAY)},
        granted = ${grant}
      returning minute_count, minute_reset, hour_count, hour_reset, day_count, day_reset, granted`.execute(this.db);
    return rows[0]!;
  }

  /** The window with the fewest requests left, as this process knows it (its own unspent lease included). */
  private tightest(state: KeyState): RateLimitWindow | null {
    const now = this.clock.now().getTime();
    const leased = now < state.leaseUntil ? state.leased : 0;
    let best: RateLimitWindow | null = null;
    for (const w of state.windows) {
      const current = w.resetAt > now;
      const remaining = current ? Math.max(0, w.limit - w.count + leased) : w.limit;
      // A window that already ended starts over with the next request: report it full, resetting a window from now.
      const resetAt = current ? w.resetAt : now + WINDOWS.find((x) => x.name === w.name)!.ms;
      if (!best || remaining < best.remaining) best = { limit: w.limit, remaining, resetAt };
    }
    return best;
  }

  private over(w: WindowState, now: number): AppError {
    const retryAfter = Math.max(1, Math.ceil((w.resetAt - now) / 1000));
    return new AppError(
      'rate_limited',
      `Rate limit reached: this API key may make ${w.limit} requests per ${w.name}. Retry in ${retryAfter} s`,
      { retry_after_s: retryAfter, rate_limit: { limit: w.limit, remaining: 0, resetAt: w.resetAt } },
    );
  }
}
