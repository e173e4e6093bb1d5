import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase } from './postgres.js';
import { waitForQuiet } from './processes.js';
import { CLI } from './switchboard.js';

const INITIALIZE = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'switchboard-bench', version: '1.0.0' },
  },
})}\n`;

/**
 * `switchboard stdio` as an MCP client host starts it: spawn, write initialize at once (it waits in
 * the pipe), and stop the clock when the answer arrives on stdout. Then stdin is closed and the
 * process must exit, so the next run finds the PGlite data directory unlocked.
 *
 * It runs on both cores (taskset -c 0,1 undoes the pinning inherited from the bench): a start-up
 * is one process on a machine otherwise idle, and V8 compiles the PGlite WebAssembly on helper threads.
 */
export async function timeStdioStartup(env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<number> {
  const started = performance.now();
  const proc = spawn('taskset', ['-c', '0,1', process.execPath, CLI, 'stdio'], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  proc.stdin.write(INITIALIZE);
  try {
    const answered = await new Promise<number>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        for (const line of out.split('\n')) {
          if (!line.trim()) continue;
          const msg = JSON.parse(line) as { id?: number; result?: unknown; error?: unknown };
          if (msg.id === 1 && msg.result) return resolve(performance.now() - started);
          if (msg.id === 1) return reject(new Error(`initialize failed: ${line}`));
        }
      });
      void exited.then((code) => reject(new Error(`stdio exited (${code}) before answering: ${stderr}`)));
      void sleep(timeoutMs).then(() => reject(new Error(`stdio did not answer within ${timeoutMs} ms: ${stderr}`)));
    });
    proc.stdin.end();
    const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') throw new Error('stdio did not exit after stdin closed');
    return answered;
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  }
}

export interface StartupRow {
  what: string;
  runsMs: number[];
  /** The highest reading of other work on the machine just before a run, in % of one core. */
  maxBusyBeforePercent: number;
}

/** `switchboard keys create` for every workspace: initialises the database, as a user does before configuring stdio. */
function createKey(env: NodeJS.ProcessEnv): string {
  const out = execFileSync(process.execPath, [CLI, 'keys', 'create', '--workspace', 'all', '--scopes', '*', '--json'], {
    env,
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { secret: string }).secret;
}

/** Runs `time` `runs` times, each after the machine has gone quiet (or `quietWaitMs` passed). */
async function series(
  what: string,
  runs: number,
  quietWaitMs: number,
  time: (i: number) => Promise<number>,
): Promise<StartupRow> {
  const row: StartupRow = { what, runsMs: [], maxBusyBeforePercent: 0 };
  for (let i = 0; i < runs; i++) {
    row.maxBusyBeforePercent = Math.max(row.maxBusyBeforePercent, await waitForQuiet(quietWaitMs));
    row.runsMs.push(await time(i));
  }
  return row;
}

/**
 * The three start-ups a user meets: the very first on PGlite, later ones on PGlite, and PostgreSQL.
 * Everything it creates (temporary directories, a database) is removed through `onCleanup`.
 */
export async function benchStdioStartup(opts: {
  warmRuns: number;
  quietWaitMs: number;
  log: (line: string) => void;
  onCleanup: (fn: () => Promise<unknown>) => void;
}): Promise<StartupRow[]> {
  const base: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  delete base.DATABASE_URL;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
  opts.onCleanup(async () => rmSync(tmp, { recursive: true, force: true }));
  const rows: StartupRow[] = [];

  opts.log('stdio start-up: PGlite, initialised directory');
  const pgliteEnv = { ...base, SWITCHBOARD_DATA_DIR: path.join(tmp, 'warm') };
  const pgliteKey = createKey(pgliteEnv);
  rows.push(
    await series('PGlite, initialised directory', opts.warmRuns, opts.quietWaitMs, () =>
      timeStdioStartup({ ...pgliteEnv, SWITCHBOARD_API_KEY: pgliteKey }),
    ),
  );

  opts.log('stdio start-up: PostgreSQL');
  const db = await createDatabase();
  opts.onCleanup(db.drop);
  const pgEnv = { ...base, DATABASE_URL: db.url };
  const pgKey = createKey(pgEnv);
  rows.push(
    await series('PostgreSQL (migrated database)', opts.warmRuns, opts.quietWaitMs, () =>
      timeStdioStartup({ ...pgEnv, SWITCHBOARD_API_KEY: pgKey }),
    ),
  );
  return rows;
}
