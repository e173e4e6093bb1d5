import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Endpoint, get, keepAliveAgent, post } from './http.js';
import { type Child, freePort, spawnPinned, waitFor } from './processes.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The built CLI, exactly what a user runs: the bench measures dist/, not the TypeScript sources. */
export const CLI = path.join(REPO_ROOT, 'bin/switchboard.js');

export interface RunningSwitchboard {
  child: Child;
  port: number;
  /** The bootstrap key, printed on the first start against an empty database. */
  bootstrapKey: string | undefined;
}

/**
 * `switchboard serve` on PostgreSQL, pinned to `cpu`. LOG_LEVEL=warn keeps per-request logs out
 * of the measurement unless the caller asks for another level.
 */
export async function startSwitchboard(opts: {
  databaseUrl: string;
  stateless: boolean;
  cpu: string;
  logLevel: string;
  expectBootstrap: boolean;
  /** SWITCHBOARD_RATE_LIMITS: on (the default of a real install) or off. */
  rateLimits?: boolean;
  /** Another build's CLI (a baseline measured in the same run); this checkout's by default. */
  cli?: string;
}): Promise<RunningSwitchboard> {
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: opts.databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: opts.logLevel,
    SWITCHBOARD_MCP_STATELESS: opts.stateless ? '1' : '0',
    SWITCHBOARD_RATE_LIMITS: opts.rateLimits === false ? 'off' : 'on',
  };
  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to look inside the server under load.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawnPinned(opts.cpu, process.execPath, [...nodeArgs, opts.cli ?? CLI, 'serve'], env);
  const health: Endpoint = { host: '127.0.0.1', port, path: '/api/v1/health' };
  await waitFor('switchboard serve', child, async () => ((await get(health)).status === 200 ? true : undefined));
  // The key is written right after the server starts listening, so it may trail the first health answer.
  const bootstrapKey = opts.expectBootstrap
    ? await waitFor('bootstrap key', child, async () => child.stdout().match(/\b(sb_[a-z0-9]+)\b/)?.[1], 10_000)
    : undefined;
  return { child, port, bootstrapKey };
}

/** Fictional prospects (example.com, RFC 2606) with tags and custom fields, so rows have a realistic size. */
export async function seedProspects(port: number, key: string, count: number): Promise<void> {
  const agent = keepAliveAgent(1);
  const endpoint: Endpoint = { host: '127.0.0.1', port, path: '/api/v1/prospects' };
  try {
    for (let i = 0; i < count; i++) {
      const body = Buffer.from(
        JSON.stringify({
          workspace_id: 'demo',
          email: `prospect.${i}@example.com`,
          first_name: `First${i}`,
          last_name: `Last${i}`,
          company: `Example Company ${i % 7}`,
          title: i % 2 ? 'Head of Operations' : 'CTO',
          phone: `+1 555 0100 ${String(i).padStart(3, '0')}`,
          tags: ['bench', i % 3 ? 'saas' : 'enterprise'],
          custom_fields: { source: 'bench', score: i, city: 'Springfield' },
        }),
      );
      const headers = {
        'content-type': 'application/json',
        'content-length': body.length,
        authorization: `Bearer ${key}`,
      };
      const reply = await post(agent, endpoint, headers, body);
      if (reply.status !== 201 && reply.status !== 200)
        throw new Error(`seeding prospect ${i}: HTTP ${reply.status} ${reply.body.slice(0, 300)}`);
    }
  } finally {
    agent.destroy();
  }
}

/**
 * Limits far above what the bench sends, so nothing is refused and what is measured is the cost of
 * counting (the lease is then its largest, 1000 requests per statement; see src/adapters/ratelimit).
 */
export async function raiseRateLimits(port: number, key: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/organization/rate-limits`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      per_minute: 1_000_000_000,
      per_hour: 1_000_000_000,
      per_day: 1_000_000_000,
      in_flight: null,
    }),
  });
  if (res.status !== 200)
    throw new Error(`setting rate limits: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
}
