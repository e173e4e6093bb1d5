import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds a process (all its threads) has used so far, from /proc. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces; fields are counted from after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Busy and total jiffies of all CPUs together, from the first line of /proc/stat. */
export function machineCpu(): { busy: number; total: number; cpus: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  // user nice system idle iowait irq softirq steal: idle and iowait are the not-busy part.
  const [user, nice, system, idle, iowait, irq, softirq, steal] = lines[0]!
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy, total: busy + idle! + iowait!, cpus: lines.filter((l) => /^cpu\d/.test(l)).length };
}

/** How busy the machine is over `ms`, in % of one core (so up to 100 × CPUs), before anything starts. */
export async function machineBusyPercent(ms = 1000): Promise<number> {
  const a = machineCpu();
  await sleep(ms);
  const b = machineCpu();
  return ((b.busy - a.busy) / (b.total - a.total)) * b.cpus * 100;
}

/**
 * On a shared machine, waits (up to `maxMs`) for a moment when other work uses less than
 * `threshold` % of one core, so a measurement does not start in the middle of someone's build.
 * Returns the last reading; the caller reports it if the machine never went quiet.
 */
export async function waitForQuiet(maxMs: number, threshold = 25): Promise<number> {
  const deadline = Date.now() + maxMs;
  let busy = await machineBusyPercent(500);
  while (busy >= threshold && Date.now() < deadline) busy = await machineBusyPercent(500);
  return busy;
}

export const cpuCount = (): number => {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    return 1;
  }
};

/** Restricts this process, every thread included, to one CPU; children inherit it unless re-pinned. */
export function pinSelf(cpu: number): void {
  execFileSync('taskset', ['-a', '-cp', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

/** A port that was free a moment ago, for a server we start next. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Child {
  process: ChildProcess;
  pid: number;
  /** Everything written to stdout so far (servers print little at LOG_LEVEL=warn). */
  stdout(): string;
  /** The last few KB of stderr, for error messages. */
  stderrTail(): string;
  stop(): Promise<void>;
}

const live = new Set<Child>();

/** Stops every child still running: called on exit paths and on Ctrl-C. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...live].map((c) => c.stop()));
}

/**
 * Starts a long-running child, pinned with taskset to `cpus` (e.g. "1", or "0,1" to undo the
 * pinning this process passes down). taskset execs the command, so the pid is the command's.
 */
export function spawnPinned(cpus: string, command: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn('taskset', ['-c', cpus, command, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => {
    if (out.length < 1 << 20) out += d.toString('utf8');
  });
  proc.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = {
    process: proc,
    pid: proc.pid!,
    stdout: () => out,
    stderrTail: () => err,
    stop: async () => {
      live.delete(child);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      if (await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
  live.add(child);
  return child;
}

/** Polls `probe` until it returns a value, the child dies, or the time is up. */
export async function waitFor<T>(
  what: string,
  child: Child,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null)
      throw new Error(`${what}: the process exited (${child.process.exitCode}): ${child.stderrTail()}`);
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`${what}: timed out after ${timeoutMs} ms: ${child.stderrTail()}`);
}
