import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase } from './postgres.js';
import { waitForQuiet } from './processes.js';
import { CLI, REPO_ROOT } from './switchboard.js';

const message = (id: number | undefined, method: string, params: object = {}) =>
  `${JSON.stringify({ jsonrpc: '2.0', ...(id === undefined ? {} : { id }), method, params })}\n`;

const INITIALIZE = message(1, 'initialize', {
  protocolVersion: '2025-11-25',
  capabilities: {},
  clientInfo: { name: 'switchboard-bench', version: '1.0.0' },
});
const AFTER_INITIALIZE = message(undefined, 'notifications/initialized') + message(2, 'tools/list');

export interface StartupTimes {
  /** spawn to the `initialize` answer. */
  initializeMs: number;
  /** spawn to the `tools/list` answer, sent as a client does: once `initialize` is answered. */
  toolsListMs: number;
}

/**
 * A stdio server as an MCP client host starts it: spawn, write `initialize` at once (it waits in
 * the pipe), and on its answer `notifications/initialized` and `tools/list`; the clock stops at the
 * `tools/list` answer. Then stdin is closed and the process must exit, so the next run finds a PGlite
 * data directory unlocked.
 *
 * It runs on both cores (taskset -c 0,1 undoes the pinning inherited from the bench): a start-up
 * is one process on a machine otherwise idle, and V8 compiles the PGlite WebAssembly on helper threads.
 */
export async function timeStdioStartup(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<StartupTimes> {
  const started = performance.now();
  const proc = spawn('taskset', ['-c', '0,1', process.execPath, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  proc.stdin.write(INITIALIZE);
  try {
    const times = await new Promise<StartupTimes>((resolve, reject) => {
      let out = '';
      let initializeMs = 0;
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const lines = out.split('\n');
        out = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          const msg = JSON.parse(line) as { id?: number; result?: { tools?: unknown[] }; error?: unknown };
          if (msg.id !== 1 && msg.id !== 2) continue;
          if (!msg.result) return reject(new Error(`${msg.id === 1 ? 'initialize' : 'tools/list'} failed: ${line}`));
          if (msg.id === 1) {
            initializeMs = performance.now() - started;
            proc.stdin.write(AFTER_INITIALIZE);
          } else if (!msg.result.tools?.length) {
            return reject(new Error(`tools/list listed no tools: ${line.slice(0, 200)}`));
          } else {
            return resolve({ initializeMs, toolsListMs: performance.now() - started });
          }
        }
      });
      void exited.then((code) => reject(new Error(`stdio exited (${code}) before answering: ${stderr}`)));
      void sleep(timeoutMs).then(() => reject(new Error(`stdio did not answer within ${timeoutMs} ms: ${stderr}`)));
    });
    proc.stdin.end();
    const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') throw new Error('stdio did not exit after stdin closed');
    return times;
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  }
}

export interface StartupRow {
  what: string;
  /** spawn to the `initialize` answer, each run. */
  initializeMs: number[];
  /** spawn to the `tools/list` answer, each run. */
  runsMs: number[];
  /** The highest reading of other work on the machine just before a run, in % of one core. */
  maxBusyBeforePercent: number;
}

/** `switchboard keys create` for every workspace: initialises the database, as a user does before configuring stdio. */
function createKey(cli: string, env: NodeJS.ProcessEnv): string {
  const out = execFileSync(process.execPath, [cli, 'keys', 'create', '--workspace', 'all', '--scopes', '*', '--json'], {
    env,
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { secret: string }).secret;
}

interface Target {
  what: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * The start-ups a user meets, PGlite (an initialised directory) and PostgreSQL (a migrated database),
 * beside a bare SDK stdio server and, with `baselineCli`, another build of Switchboard. Runs are
 * interleaved (one of each target per round), so a machine whose speed drifts moves every row alike.
 * Everything it creates (temporary directories, databases) is removed through `onCleanup`.
 */
export async function benchStdioStartup(opts: {
  runs: number;
  quietWaitMs: number;
  baselineCli?: string;
  log: (line: string) => void;
  onCleanup: (fn: () => Promise<unknown>) => void;
}): Promise<StartupRow[]> {
  const base: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  delete base.DATABASE_URL;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
  opts.onCleanup(async () => rmSync(tmp, { recursive: true, force: true }));

  const targets: Target[] = [
    { what: 'bare SDK stdio server (one tool)', args: [path.join(REPO_ROOT, 'bench/sdk-stdio-server.js')], env: base },
  ];
  const builds = [{ name: 'this build', cli: CLI }];
  if (opts.baselineCli)
    builds.push({ name: `baseline ${path.relative(REPO_ROOT, opts.baselineCli)}`, cli: opts.baselineCli });
  for (const [i, build] of builds.entries()) {
    opts.log(`stdio start-up: initialising a PGlite directory and a PostgreSQL database for ${build.name}`);
    const pgliteEnv = { ...base, SWITCHBOARD_DATA_DIR: path.join(tmp, `pglite-${i}`) };
    targets.push({
      what: `${build.name}: PGlite, initialised directory`,
      args: [build.cli, 'stdio'],
      env: { ...pgliteEnv, SWITCHBOARD_API_KEY: createKey(build.cli, pgliteEnv) },
    });
    const db = await createDatabase();
    opts.onCleanup(db.drop);
    const pgEnv = { ...base, DATABASE_URL: db.url };
    targets.push({
      what: `${build.name}: PostgreSQL, migrated database`,
      args: [build.cli, 'stdio'],
      env: { ...pgEnv, SWITCHBOARD_API_KEY: createKey(build.cli, pgEnv) },
    });
  }

  const rows: StartupRow[] = targets.map((t) => ({
    what: t.what,
    initializeMs: [],
    runsMs: [],
    maxBusyBeforePercent: 0,
  }));
  // One untimed start each: the first read of node_modules and dist/ from disk is not a start-up a user repeats.
  for (const t of targets) await timeStdioStartup(t.args, t.env);
  for (let round = 0; round < opts.runs; round++) {
    opts.log(`stdio start-up: round ${round + 1} of ${opts.runs}`);
    for (const [i, t] of targets.entries()) {
      const row = rows[i]!;
      row.maxBusyBeforePercent = Math.max(row.maxBusyBeforePercent, await waitForQuiet(opts.quietWaitMs));
      const times = await timeStdioStartup(t.args, t.env);
      row.initializeMs.push(times.initializeMs);
      row.runsMs.push(times.toolsListMs);
    }
  }
  return rows;
}
