/**
 * The cost of rate limits in instructions, which do not depend on how busy the machine is (calls/s
 * on a shared machine do: see bench/README.md). `switchboard serve` (the built CLI, PostgreSQL,
 * session mode) runs under `valgrind --tool=callgrind` with instrumentation off; after start-up and
 * BENCH_WARMUP calls, it is switched on for exactly BENCH_CALLS `list_prospects` calls at c=8, and
 * the instructions the server process executed for them are read from callgrind's totals. Servers
 * alternate with limits on (raised out of reach, as in `npm run bench`) and off, in the order of
 * BENCH_RATE_LIMITS (on,off,off,on). Needs valgrind and `npm run build`.
 *   node --import tsx bench/ratelimit-instructions.ts
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { type Endpoint, get, keepAliveAgent } from './lib/http.js';
import { type McpTarget, openSession, type ToolCall, toolCaller } from './lib/mcp.js';
import { createDatabase } from './lib/postgres.js';
import { freePort, spawnPinned, waitFor } from './lib/processes.js';
import { CLI, raiseRateLimits, seedProspects } from './lib/switchboard.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 400);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const CONCURRENCY = 8;
const ORDER = (process.env.BENCH_RATE_LIMITS ?? 'on,off,off,on').split(',');

const LIST_PROSPECTS: ToolCall = {
  name: 'list_prospects',
  arguments: { workspace_id: 'demo', limit: 20 },
  verify: (r) => {
    const rows = (r.structuredContent?.prospects as unknown[] | undefined)?.length;
    return rows === 20 ? undefined : `expected 20 prospects, got ${rows}`;
  },
};

async function calls(target: McpTarget, n: number): Promise<void> {
  const agent = keepAliveAgent(CONCURRENCY);
  try {
    let left = n;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        const call = toolCaller(agent, target, await openSession(agent, target), LIST_PROSPECTS, w + 1);
        while (left-- > 0) await call();
      }),
    );
  } finally {
    agent.destroy();
  }
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

async function main() {
  const db = await createDatabase();
  let key: string | undefined;
  const results: { limits: string; perCall: number; seconds: number }[] = [];
  try {
    for (const [i, limits] of ORDER.entries()) {
      const port = await freePort();
      const out = `/tmp/sb-callgrind-${process.pid}-${i}.out`;
      // vgdb's pipe names include $LOGNAME and $HOST (also the address switchboard listens on): set, and the same on both sides.
      const names = { ...process.env, LOGNAME: 'bench', USER: 'bench', HOST: '127.0.0.1', HOSTNAME: 'bench' };
      const env = {
        ...names,
        DATABASE_URL: db.url,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        SWITCHBOARD_MCP_STATELESS: '0',
        SWITCHBOARD_RATE_LIMITS: limits,
      };
      // An explicit vgdb prefix: the default names the pipe after $USER and the host, which differ
      // (or are unknown) between this process and valgrind's in some containers.
      const prefix = `--vgdb-prefix=/tmp/sb-vgdb-${process.pid}-${i}`;
      const control = (state: string) =>
        execFileSync('callgrind_control', [prefix, '-i', state, String(child.pid)], { encoding: 'utf8', env: names });
      const args = [
        '--tool=callgrind',
        '--instr-atstart=no',
        prefix,
        `--callgrind-out-file=${out}`,
        process.execPath,
        CLI,
      ];
      const child = spawnPinned('0,1', 'valgrind', [...args, 'serve'], env);
      try {
        const health: Endpoint = { host: '127.0.0.1', port, path: '/api/v1/health' };
        await waitFor(
          'switchboard under valgrind',
          child,
          async () => ((await get(health)).status === 200 ? true : undefined),
          900_000,
        );
        if (!key) {
          key = await waitFor(
            'bootstrap key',
            child,
            async () => child.stdout().match(/\b(sb_[a-z0-9]+)\b/)?.[1],
            120_000,
          );
          await seedProspects(port, key, 25);
          await raiseRateLimits(port, key);
        }
        const target: McpTarget = { endpoint: { host: '127.0.0.1', port, path: '/mcp' }, apiKey: key };
        await calls(target, WARMUP);
        const on = control('on');
        if (process.env.BENCH_DEBUG) console.log(on);
        const t0 = performance.now();
        await calls(target, CALLS);
        const seconds = (performance.now() - t0) / 1000;
        control('off');
        child.process.kill('SIGTERM');
        await new Promise((resolve) => child.process.once('exit', resolve));
        const totals = readFileSync(out, 'utf8').match(/^totals:\s+(\d+)/m);
        if (!totals) throw new Error(`no totals in ${out}`);
        if (process.env.BENCH_DEBUG) console.log(child.stderrTail());
        const perCall = Number(totals[1]) / CALLS;
        results.push({ limits, perCall, seconds });
        console.log(
          `limits ${limits}: ${(perCall / 1e6).toFixed(3)} M instructions per call (${CALLS} calls in ${seconds.toFixed(0)} s under valgrind; load ${load()})`,
        );
      } catch (err) {
        console.log(`server stderr: ${child.stderrTail()}`);
        throw err;
      } finally {
        await child.stop();
        if (!process.env.BENCH_DEBUG) rmSync(out, { force: true });
      }
    }
  } finally {
    await db.drop();
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const on = median(results.filter((r) => r.limits === 'on').map((r) => r.perCall));
  const off = median(results.filter((r) => r.limits === 'off').map((r) => r.perCall));
  console.log(
    `median: on ${(on / 1e6).toFixed(3)} M, off ${(off / 1e6).toFixed(3)} M instructions per list_prospects call: ` +
      `limits on cost ${(((on - off) / off) * 100).toFixed(2)} % more`,
  );
}

await main();
