import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { keepAliveAgent } from './http.js';
import { processCpuSeconds } from './processes.js';
import { quantile } from './stats.js';

export interface LoadOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Upper bound on measured calls: a very fast target still ends early. */
  maxCalls: number;
  /** The server process, to report how busy its core was during the window. */
  serverPid?: number | undefined;
  /** Makes worker i's call; sessions are opened here, before any clock starts. Throws on a bad reply. */
  makeWorker(i: number, agent: http.Agent): Promise<() => Promise<void>>;
}

export interface LoadResult {
  concurrency: number;
  calls: number;
  seconds: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  firstError: string | undefined;
  /** CPU time of the load generator over the window, in % of one core: near 100 would mean the client is the bottleneck. */
  clientCpuPercent: number;
  /** CPU time of the server process over the window, in % of one core (it is pinned to one). */
  serverCpuPercent: number | undefined;
}

/**
 * A closed loop: `concurrency` workers, each sending its next call as soon as the previous one is
 * answered. A warm-up (JIT, connection pools, caches) runs first; only calls started and finished
 * inside the measurement window count, so calls/s is completions over the window's length.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const agent = keepAliveAgent(opts.concurrency);
  try {
    const calls = await Promise.all(Array.from({ length: opts.concurrency }, (_, i) => opts.makeWorker(i, agent)));
    let phase: 'warmup' | 'measure' | 'done' = 'warmup';
    let windowStart = 0;
    const latencies: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    let reachedMax!: () => void;
    const maxReached = new Promise<void>((resolve) => (reachedMax = resolve));

    const worker = async (call: () => Promise<void>) => {
      while (phase !== 'done') {
        const t0 = performance.now();
        try {
          await call();
        } catch (err) {
          errors++;
          firstError ??= String(err);
          // Failing calls return fast; stop rather than spin on a broken server.
          if (errors >= 50) phase = 'done';
          continue;
        }
        if (phase === 'measure' && t0 >= windowStart) {
          latencies.push(performance.now() - t0);
          if (latencies.length >= opts.maxCalls) reachedMax();
        }
      }
    };
    const workers = calls.map(worker);

    await sleep(opts.warmupMs);
    const cpuAtStart = process.cpuUsage();
    const serverCpuAtStart = opts.serverPid ? processCpuSeconds(opts.serverPid) : undefined;
    windowStart = performance.now();
    phase = errors >= 50 ? 'done' : 'measure';
    await Promise.race([sleep(opts.durationMs), maxReached]);
    const seconds = (performance.now() - windowStart) / 1000;
    phase = 'done';
    const cpu = process.cpuUsage(cpuAtStart);
    const serverCpu = serverCpuAtStart !== undefined && opts.serverPid ? processCpuSeconds(opts.serverPid) - serverCpuAtStart : undefined;
    await Promise.all(workers);

    const sorted = Float64Array.from(latencies).sort();
    return {
      concurrency: opts.concurrency,
      calls: sorted.length,
      seconds,
      callsPerSecond: sorted.length / seconds,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
      errors,
      firstError,
      clientCpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      serverCpuPercent: serverCpu === undefined ? undefined : (serverCpu / seconds) * 100,
    };
  } finally {
    agent.destroy();
  }
}
