/**
 * Switchboard MCP benchmark: list_prospects over streamable HTTP against real PostgreSQL, session
 * and stateless modes, next to a bare-SDK echo server; then `switchboard stdio` start-up times.
 * The server under test runs pinned to CPU 1, this process (the load generator) to CPU 0.
 * See bench/README.md. Run with `npm run bench`.
 *
 * Env knobs: BENCH_DURATION_MS (6000), BENCH_WARMUP_MS (2000), BENCH_CONCURRENCY (1,8,32),
 * BENCH_STDIO_RUNS (5), BENCH_LOG_LEVEL (warn), BENCH_ONLY (switchboard,sdk,stdio),
 * BENCH_QUIET_WAIT_MS (10000: how long to wait for other work on the machine to stop before each
 * measurement), BENCH_JSON_OUT (a file to write the raw results to, for comparing runs),
 * BENCH_BASELINE_CLI (another build's bin/switchboard.js, e.g. of the previous release in a git worktree:
 * measured right after this one, on its own database, so the two compare within one run; its HTTP
 * load runs when BENCH_ONLY has switchboard or baseline, its stdio start-ups beside this build's).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';
import { type LoadResult, runLoad } from './lib/loadgen.js';
import { type McpTarget, type ToolCall, openSession, statelessSession, toolCaller } from './lib/mcp.js';
import { backendPids, createDatabase } from './lib/postgres.js';
import {
  type Child,
  cpuCount,
  freePort,
  machineBusyPercent,
  pinSelf,
  spawnPinned,
  stopAll,
  waitFor,
  waitForQuiet,
} from './lib/processes.js';
import { fmt, markdownTable, median } from './lib/stats.js';
import { type StartupRow, benchStdioStartup } from './lib/stdio-startup.js';
import { REPO_ROOT, raiseRateLimits, seedProspects, startSwitchboard } from './lib/switchboard.js';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const SETTINGS = {
  warmupMs: num('BENCH_WARMUP_MS', 2000),
  durationMs: num('BENCH_DURATION_MS', 6000),
  concurrencies: (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number),
  maxCalls: 500_000,
  stdioRuns: num('BENCH_STDIO_RUNS', 5),
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
  quietWaitMs: num('BENCH_QUIET_WAIT_MS', 10_000),
  only: new Set((process.env.BENCH_ONLY ?? 'switchboard,floor,sdk,stdio').split(',')),
  /** Switchboard is measured with rate limits on (set too high to refuse anything) and off, in that order per mode. */
  rateLimits: (process.env.BENCH_RATE_LIMITS ?? 'on,off').split(',').filter((v) => v === 'on' || v === 'off'),
  prospects: 25,
};
/** The target, checked at this concurrency. */
const TARGET = { concurrency: 8, p99Ms: 25 };

const LIST_PROSPECTS: ToolCall = {
  name: 'list_prospects',
  arguments: { workspace_id: 'demo', limit: 20 },
  verify: (r) => {
    const rows = (r.structuredContent?.prospects as unknown[] | undefined)?.length;
    if (rows !== 20) return `expected 20 prospects, got ${rows}: ${JSON.stringify(r).slice(0, 300)}`;
    if (typeof r.content?.[0]?.text !== 'string') return 'no text content';
    return undefined;
  },
};

const ECHO: ToolCall = {
  name: 'echo',
  arguments: { text: 'hello' },
  verify: (r) => (r.content?.[0]?.text === 'hello' ? undefined : `unexpected echo result ${JSON.stringify(r)}`),
};

interface Row {
  server: string;
  mode: 'session' | 'stateless';
  result: LoadResult;
}

const cleanups: (() => Promise<unknown>)[] = [];
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Worker i: a session of its own (initialize + initialized) unless stateless; one call is checked before any clock runs. */
function mcpWorker(target: McpTarget, call: ToolCall, stateless: boolean) {
  return async (i: number, agent: http.Agent) => {
    const session = stateless ? statelessSession() : await openSession(agent, target);
    const caller = toolCaller(agent, target, session, call, i + 1);
    await caller();
    return caller;
  };
}

async function measureAll(
  server: string,
  mode: Row['mode'],
  child: Child,
  database: string | undefined,
  target: McpTarget,
  call: ToolCall,
  rows: Row[],
): Promise<void> {
  for (const concurrency of SETTINGS.concurrencies) {
    const busy = await waitForQuiet(SETTINGS.quietWaitMs);
    if (busy >= 25)
      log(`  (the machine is still ${fmt(busy, 0)}% busy with other work: this measurement will be skewed)`);
    const result = await runLoad({
      concurrency,
      warmupMs: SETTINGS.warmupMs,
      durationMs: SETTINGS.durationMs,
      maxCalls: SETTINGS.maxCalls,
      watch: async () => ({ server: [child.pid], ...(database ? { postgres: await backendPids(database) } : {}) }),
      makeWorker: mcpWorker(target, call, mode === 'stateless'),
    });
    const cpu = Object.entries(result.cpuPercent).map(([k, v]) => `${k} ${fmt(v, 0)}%`);
    log(
      `  ${server} ${mode} c=${concurrency}: ${fmt(result.callsPerSecond, 0)} calls/s, p50 ${fmt(result.p50Ms, 2)} ms, p99 ${fmt(result.p99Ms, 2)} ms, ` +
        `server ${fmt(serverMsPerCall(result), 2)} ms CPU/call, errors ${result.errors}; CPU: ${cpu.join(', ')}`,
    );
    // Fail loudly: numbers from a server that answers errors would be meaningless.
    if (result.errors > 0)
      throw new Error(`${server} ${mode} c=${concurrency}: ${result.errors} failed calls; first: ${result.firstError}`);
    rows.push({ server, mode, result });
  }
}

async function benchSwitchboard(serverCpu: string, rows: Row[], label = 'switchboard', cli?: string): Promise<void> {
  const db = await createDatabase();
  cleanups.push(db.drop);
  let key: string | undefined;
  for (const stateless of [false, true]) {
    // Another build runs once, with limits on unless BENCH_RATE_LIMITS is only `off` (a build without
    // rate limits ignores the setting).
    const baselineLimits = SETTINGS.rateLimits.includes('on') ? ['on'] : ['off'];
    for (const limits of cli === undefined ? SETTINGS.rateLimits : baselineLimits) {
      const mode = stateless ? 'stateless' : 'session';
      const name = `${label} list_prospects${limits === 'off' ? ', rate limits off' : ''}`;
      log(`${name} serve (${mode}, PostgreSQL, LOG_LEVEL=${SETTINGS.logLevel}) on CPU ${serverCpu}`);
      const sb = await startSwitchboard({
        databaseUrl: db.url,
        stateless,
        cpu: serverCpu,
        logLevel: SETTINGS.logLevel,
        expectBootstrap: key === undefined,
        rateLimits: limits === 'on',
        cli,
      });
      try {
        if (!key) {
          key = sb.bootstrapKey!;
          await seedProspects(sb.port, key, SETTINGS.prospects);
          if (cli === undefined) await raiseRateLimits(sb.port, key);
        }
        const target: McpTarget = { endpoint: { host: '127.0.0.1', port: sb.port, path: '/mcp' }, apiKey: key };
        await measureAll(name, mode, sb.child, db.name, target, LIST_PROSPECTS, rows);
      } finally {
        await sb.child.stop();
      }
    }
  }
  if (cli === undefined && SETTINGS.only.has('floor')) await benchSqlFloor(serverCpu, db, rows);
}

/** The same SQL and the same answer without any server around them (bench/sql-floor-server.ts), on the database just measured. */
async function benchSqlFloor(serverCpu: string, db: { url: string; name: string }, rows: Row[]): Promise<void> {
  const name = 'SQL floor: node:http + the same query';
  log(`${name} on CPU ${serverCpu}`);
  const port = await freePort();
  const child = spawnPinned(
    serverCpu,
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'bench/sql-floor-server.ts')],
    {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: db.url,
    },
  );
  try {
    await waitFor(name, child, async () => (child.stdout().includes('listening') ? true : undefined));
    await measureAll(
      name,
      'session',
      child,
      db.name,
      { endpoint: { host: '127.0.0.1', port, path: '/mcp' } },
      LIST_PROSPECTS,
      rows,
    );
  } finally {
    await child.stop();
  }
}

async function benchSdkEcho(serverCpu: string, rows: Row[]): Promise<void> {
  for (const json of [false, true]) {
    const name = `bare SDK echo (${json ? 'JSON' : 'SSE'} responses)`;
    log(`${name} on CPU ${serverCpu}`);
    const port = await freePort();
    const child = spawnPinned(
      serverCpu,
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'bench/sdk-echo-server.ts')],
      {
        ...process.env,
        PORT: String(port),
        SDK_JSON_RESPONSE: json ? '1' : '0',
      },
    );
    try {
      await waitFor(name, child, async () => (child.stdout().includes('listening') ? true : undefined));
      await measureAll(
        name,
        'session',
        child,
        undefined,
        { endpoint: { host: '127.0.0.1', port, path: '/mcp' } },
        ECHO,
        rows,
      );
    } finally {
      await child.stop();
    }
  }
}

/**
 * Server CPU time per call: unlike calls/s it barely moves when other work shares the machine, so
 * it is the number to compare between runs (and between versions) on a busy machine.
 */
const serverMsPerCall = (r: LoadResult) => ((r.cpuPercent.server ?? Number.NaN) / 100 / r.callsPerSecond) * 1000;

/** Prints the tables; returns whether the target was met, or undefined when it could not be judged. */
function report(rows: Row[], startup: StartupRow[]): boolean | undefined {
  const out: string[] = [];
  if (rows.length) {
    out.push(
      markdownTable(
        [
          'server / tool',
          'mode',
          'conc.',
          'calls/s',
          'p50 ms',
          'p99 ms',
          'max ms',
          'server CPU ms/call',
          'CPU % server',
          'postgres',
          'load gen.',
          'others',
          'calls',
        ],
        rows.map(({ server, mode, result: r }) => [
          server,
          mode,
          String(r.concurrency),
          fmt(r.callsPerSecond, 0),
          fmt(r.p50Ms, 2),
          fmt(r.p99Ms, 2),
          fmt(r.maxMs, 1),
          fmt(serverMsPerCall(r), 2),
          fmt(r.cpuPercent.server, 0),
          fmt(r.cpuPercent.postgres, 0),
          fmt(r.cpuPercent.client, 0),
          // Flag rows that shared the machine with noticeable other work.
          `${fmt(r.cpuPercent.other, 0)}${(r.cpuPercent.other ?? 0) >= 25 ? ' ⚠' : ''}`,
          String(r.calls),
        ]),
      ),
    );
  }
  let met: boolean | undefined;
  const at = (server: string, mode: string) =>
    rows.find((r) => r.server.startsWith(server) && r.mode === mode && r.result.concurrency === TARGET.concurrency)
      ?.result;
  const baselines = rows.filter((r) => r.server.startsWith('bare SDK') && r.result.concurrency === TARGET.concurrency);
  if (baselines.length && at('switchboard', 'session')) {
    out.push(
      '',
      `Target at concurrency ${TARGET.concurrency}: calls/s >= bare SDK echo (session mode), p99 < ${TARGET.p99Ms} ms`,
    );
    for (const mode of ['session', 'stateless']) {
      const r = at('switchboard', mode)!;
      for (const b of baselines) {
        const ok = r.callsPerSecond >= b.result.callsPerSecond && r.p99Ms < TARGET.p99Ms;
        met = (met ?? true) && ok;
        out.push(
          `- ${mode}: ${fmt(r.callsPerSecond, 0)} calls/s vs ${b.server} ${fmt(b.result.callsPerSecond, 0)} calls/s ` +
            `(${fmt((r.callsPerSecond / b.result.callsPerSecond) * 100, 0)}%), p99 ${fmt(r.p99Ms, 2)} ms: ${ok ? 'MET' : 'NOT MET'}`,
        );
      }
    }
    const floor = at('SQL floor', 'session');
    if (floor) {
      out.push(
        `- for scale, the SQL floor (no MCP, no auth, no validation): ${fmt(floor.callsPerSecond, 0)} calls/s, p99 ${fmt(floor.p99Ms, 2)} ms; ` +
          baselines
            .map((b) => `${fmt((floor.callsPerSecond / b.result.callsPerSecond) * 100, 0)}% of ${b.server}`)
            .join(', '),
      );
    }
  }
  // The rate-limit target: list_prospects at c=8 drops by less than 10% with limits on.
  const exactly = (server: string, mode: string) =>
    rows.find((r) => r.server === server && r.mode === mode && r.result.concurrency === TARGET.concurrency)?.result;
  for (const mode of ['session', 'stateless']) {
    const on = exactly('switchboard list_prospects', mode);
    const off = exactly('switchboard list_prospects, rate limits off', mode);
    if (on && off)
      out.push(
        `- rate limits, ${mode}: on ${fmt(on.callsPerSecond, 0)} calls/s vs off ${fmt(off.callsPerSecond, 0)} calls/s ` +
          `(${fmt((on.callsPerSecond / off.callsPerSecond - 1) * 100, 1)}%; target: a drop of less than 10%)`,
      );
  }
  if (startup.length) {
    out.push(
      '',
      markdownTable(
        [
          'stdio start-up',
          'spawn to initialize answer, median ms',
          'spawn to tools/list answer, median ms',
          'tools/list runs (ms)',
          'others before a run, max %',
        ],
        startup.map((s) => [
          s.what,
          fmt(median(s.initializeMs), 0),
          fmt(median(s.runsMs), 0),
          s.runsMs.map((v) => fmt(v, 0)).join(', '),
          `${fmt(s.maxBusyBeforePercent, 0)}${s.maxBusyBeforePercent >= 25 ? ' ⚠' : ''}`,
        ]),
      ),
    );
  }
  process.stdout.write(`\n${out.join('\n')}\n`);
  return met;
}

async function main(): Promise<void> {
  const cores = cpuCount();
  // One core for the server, the other for this process; on a single core both share it (and say so).
  const serverCpu = cores >= 2 ? '1' : '0';
  if (cores >= 2) pinSelf(0);
  else log('warning: one CPU only, server and load generator share it; numbers are not comparable');
  log(
    `node ${process.version}, ${cores} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load generator on CPU 0, servers on CPU ${serverCpu}`,
  );
  // Other work on the machine skews every number; say so up front rather than publish them silently.
  const busy = await machineBusyPercent();
  log(
    `machine busy before start: ${fmt(busy, 0)}% of one core${busy > 20 ? '  WARNING: something else is running; results will be low and noisy' : ''}`,
  );

  const rows: Row[] = [];
  if (SETTINGS.only.has('switchboard')) await benchSwitchboard(serverCpu, rows);
  if (process.env.BENCH_BASELINE_CLI && (SETTINGS.only.has('switchboard') || SETTINGS.only.has('baseline')))
    await benchSwitchboard(serverCpu, rows, 'baseline', path.resolve(process.env.BENCH_BASELINE_CLI));
  if (SETTINGS.only.has('sdk')) await benchSdkEcho(serverCpu, rows);
  const startup = SETTINGS.only.has('stdio')
    ? await benchStdioStartup({
        runs: SETTINGS.stdioRuns,
        baselineCli: process.env.BENCH_BASELINE_CLI ? path.resolve(process.env.BENCH_BASELINE_CLI) : undefined,
        quietWaitMs: SETTINGS.quietWaitMs,
        log,
        onCleanup: (fn) => cleanups.push(fn),
      })
    : [];
  const met = report(rows, startup);
  if (process.env.BENCH_JSON_OUT)
    writeFileSync(
      process.env.BENCH_JSON_OUT,
      `${JSON.stringify({ node: process.version, cores, rows, startup, targetMet: met }, null, 2)}\n`,
    );
  if (met !== undefined) log(met ? 'target met' : 'target NOT met');
}

async function cleanup(): Promise<void> {
  await stopAll();
  for (const fn of cleanups.reverse()) await fn().catch((err) => log(`cleanup: ${err}`));
  cleanups.length = 0;
}

// Interrupted or piped into `head`: still stop the servers and drop the database.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
try {
  await main();
} catch (err) {
  log(`bench failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
