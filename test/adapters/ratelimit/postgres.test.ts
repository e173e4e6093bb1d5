import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresRateLimiter } from '../../../src/adapters/ratelimit/postgres.js';
import type { Clock } from '../../../src/kernel/clock.js';
import type { AppError } from '../../../src/kernel/errors.js';
import type { RateLimitPolicy } from '../../../src/kernel/ports.js';
import { type TestDatabase, createTestDatabase } from '../../helpers/db.js';

/** The counters and leases of the PostgreSQL rate limiter, on a clock the test moves. */

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
let now = T0;
const clock: Clock = { now: () => new Date(now) };
const policy = (p: Partial<RateLimitPolicy>): RateLimitPolicy => ({
  perMinute: null,
  perHour: null,
  perDay: null,
  inFlight: null,
  ...p,
});

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.handle.close();
  await db.drop();
});

const row = (keyId: string) =>
  db.handle.db.selectFrom('rate_limit_counters').selectAll().where('key_id', '=', keyId).executeTakeFirst();

async function refused(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: AppError) => e,
  );
  if (!err) throw new Error('expected rate_limited');
  expect(err.code).toBe('rate_limited');
  return err;
}

describe('PostgresRateLimiter', () => {
  it('admits the limit of a window, refuses the next with the wait, and starts over when the window ends', async () => {
    now = T0;
    const limiter = new PostgresRateLimiter(db.handle.db, clock);
    const p = policy({ perMinute: 5, perDay: 100 });
    for (let i = 0; i < 5; i++) {
      const { window, release } = await limiter.admit('key_a', p);
      expect(window).toEqual({ limit: 5, remaining: 4 - i, resetAt: T0 + 60_000 });
      release();
    }
    now = T0 + 20_500;
    const err = await refused(limiter.admit('key_a', p));
    expect(err.message).toBe('Rate limit reached: this API key may make 5 requests per minute. Retry in 40 s');
    expect(err.details).toEqual({
      retry_after_s: 40,
      rate_limit: { limit: 5, remaining: 0, resetAt: T0 + 60_000 },
    });
    now = T0 + 60_000;
    const { window } = await limiter.admit('key_a', p);
    expect(window).toEqual({ limit: 5, remaining: 4, resetAt: T0 + 120_000 });
    // The day window kept counting: 6 of 100.
    expect(await row('key_a')).toMatchObject({ minute_count: 1, day_count: 6 });
  });

  it('reports the window with the fewest requests left, and refuses on the longer window with its own wait', async () => {
    now = T0;
    const limiter = new PostgresRateLimiter(db.handle.db, clock);
    const p = policy({ perMinute: 10, perHour: 12 });
    for (let i = 0; i < 10; i++) (await limiter.admit('key_b', p)).release();
    now = T0 + 60_000;
    const first = await limiter.admit('key_b', p);
    expect(first.window).toEqual({ limit: 12, remaining: 1, resetAt: T0 + 3_600_000 });
    (await limiter.admit('key_b', p)).release();
    const err = await refused(limiter.admit('key_b', p));
    expect(err.message).toMatch(/12 requests per hour\. Retry in 3540 s$/);
  });

  it('shares the counters between limiters (processes): together they admit the limit, never more', async () => {
    now = T0;
    const a = new PostgresRateLimiter(db.handle.db, clock);
    const b = new PostgresRateLimiter(db.handle.db, clock);
    const p = policy({ perMinute: 7 });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).admit('key_c', p)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    expect((await row('key_c'))?.minute_count).toBe(7);
  });

  it('leases a batch so that most requests need no statement, and gives back what is unspent when the limits change', async () => {
    now = T0;
    const limiter = new PostgresRateLimiter(db.handle.db, clock);
    const big = policy({ perMinute: 1000 });
    const { window } = await limiter.admit('key_d', big);
    // A 50th of the limit is taken at once; the answer still counts this one request.
    expect((await row('key_d'))?.minute_count).toBe(20);
    expect(window?.remaining).toBe(999);
    // Gone from the table, the row is not looked at again while the lease lasts.
    await db.handle.db.deleteFrom('rate_limit_counters').where('key_id', '=', 'key_d').execute();
    for (let i = 0; i < 19; i++) (await limiter.admit('key_d', big)).release();
    expect(await row('key_d')).toBeUndefined();
    (await limiter.admit('key_d', big)).release();
    expect((await row('key_d'))?.minute_count).toBe(20);

    // Lowered limits: the 19 unspent requests go back, and the new limit counts the one really made.
    const small = policy({ perMinute: 3 });
    expect((await limiter.admit('key_d', small)).window).toEqual({ limit: 3, remaining: 1, resetAt: T0 + 60_000 });
    expect((await row('key_d'))?.minute_count).toBe(2);
  });

  it('refuses an exhausted window without a statement until it resets', async () => {
    now = T0;
    const limiter = new PostgresRateLimiter(db.handle.db, clock);
    const p = policy({ perMinute: 1 });
    (await limiter.admit('key_e', p)).release();
    await refused(limiter.admit('key_e', p));
    await db.handle.db.deleteFrom('rate_limit_counters').where('key_id', '=', 'key_e').execute();
    await refused(limiter.admit('key_e', p));
    expect(await row('key_e')).toBeUndefined();
  });

  it('caps the requests in flight per key, and a released slot is free again', async () => {
    const limiter = new PostgresRateLimiter(db.handle.db, clock);
    const p = policy({ inFlight: 2 });
    const one = await limiter.admit('key_f', p);
    const two = await limiter.admit('key_f', p);
    const err = await refused(limiter.admit('key_f', p));
    expect(err.details?.retry_after_s).toBe(1);
    expect(one.window).toBeNull();
    (await limiter.admit('key_g', p)).release();
    one.release();
    one.release(); // twice is once
    (await limiter.admit('key_f', p)).release();
    await refused(Promise.all([limiter.admit('key_f', p), limiter.admit('key_f', p)]));
    two.release();
  });
});
