/**
 * The CPU cost of a rate-limit check in one process: `admit` + `release` of one key with limits too
 * high to refuse (the lease is then 1000 requests per statement), over embedded PGlite, against the
 * same loop with no limiter. What the MCP benchmark cannot show on a busy machine.
 *   node --import tsx bench/ratelimit-admit.ts
 */
import { openDatabase } from '../src/adapters/db/connect.js';
import { migrateToLatest } from '../src/adapters/db/migrate.js';
import { PostgresRateLimiter } from '../src/adapters/ratelimit/postgres.js';
import { rateLimitHeaders } from '../src/transport/errors.js';
import { systemClock } from '../src/kernel/clock.js';

const N = Number(process.env.BENCH_ADMITS ?? 300_000);
const handle = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
await migrateToLatest(handle.db);
const limiter = new PostgresRateLimiter(handle.db, systemClock);
const policy = { perMinute: 1_000_000_000, perHour: 1_000_000_000, perDay: 1_000_000_000, inFlight: 20 };

async function run(): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const { window, release } = await limiter.admit('key_bench', policy);
    if (window) rateLimitHeaders(window);
    release();
  }
  return Number(process.hrtime.bigint() - started) / N;
}

await run(); // warm-up
const runs = [await run(), await run(), await run()].sort((a, b) => a - b);
const statements = Math.ceil((4 * N) / 1000);
process.stdout.write(
  `admit + headers + release: median ${(runs[1]! / 1000).toFixed(2)} µs per request over ${N} requests ` +
    `(runs: ${runs.map((r) => (r / 1000).toFixed(2)).join(', ')} µs; about ${statements} statements in all, one per 1000 requests)\n`,
);
await handle.close();
