import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { keepAliveAgent } from './http.js';
import { machineCpu, processCpuSeconds } from './processes.js';
import { quantile } from './stats.js';

export interface LoadOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Upper bound on measured calls: a very fast target still ends early. */
  maxCalls: number;
  /**
   * Processes whose CPU time is reported per window, by group (e.g. server, postgres), looked up
   * once the warm-up has filled the connection pools.
   */
  watch?: () => Promise<Record<string, number[]>>;
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
  /**
   * CPU used over the window, in % of one core: `client` is this process (near 100 would mean the
   * load generator is the bottleneck), one entry per watched group, `machine` is every CPU together
   * (200 = both cores busy), and `other` what none of those account for: other people's work.
   */
  cpuPercent: Record<string, number>;
}

/** CPU seconds of a set of processes; one that has exited meanwhile counts as zero. */
function groupCpuSeconds(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      out.set(pid, processCpuSeconds(pid));
    } catch {
      // gone: its share is unknown, and small against a window of seconds
    }
  }
  return out;
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
    const groups = (await opts.watch?.()) ?? {};
    const groupsAtStart = Object.fromEntries(
      Object.entries(groups).map(([name, pids]) => [name, groupCpuSeconds(pids)]),
    );
    const machineAtStart = machineCpu();
    const cpuAtStart = process.cpuUsage();
    windowStart = performance.now();
    phase = errors >= 50 ? 'done' : 'measure';
    await Promise.race([sleep(opts.durationMs), maxReached]);
    const seconds = (performance.now() - windowStart) / 1000;
    phase = 'done';
    const cpu = process.cpuUsage(cpuAtStart);
    const machine = machineCpu();
    const cpuPercent: Record<string, number> = { client: ((cpu.user + cpu.system) / 1e6 / seconds) * 100 };
    for (const [name, before] of Object.entries(groupsAtStart)) {
      const after = groupCpuSeconds([...before.keys()]);
      let used = 0;
      for (const [pid, t] of after) used += t - before.get(pid)!;
      cpuPercent[name] = (used / seconds) * 100;
    }
    cpuPercent.machine =
      ((machine.busy - machineAtStart.busy) / (machine.total - machineAtStart.total)) * machine.cpus * 100;
    const ours = Object.entries(cpuPercent).reduce((sum, [k, v]) => (k === 'machine' ? sum : sum + v), 0);
    cpuPercent.other = Math.max(0, cpuPercent.machine - ours);
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
      cpuPercent,
    };
  } finally {
    agent.destroy();
  }
}
