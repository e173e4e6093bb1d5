import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { addKey, addWorkspace, createOrg, silentLog, testConfig } from '../helpers/app.js';
import { CLI, runCli } from '../helpers/cli.js';
import { TEST_DB_KIND, createSharedTestDatabase } from '../helpers/db.js';
import { callErr, callOk } from '../helpers/mcp.js';

/** The organization's rate limits set with the built CLI, and a stdio client over its limit (needs `npm run build`). */
describe('rate limits from the CLI and over stdio', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-ratelimits-'));
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let setupApp: App;
  let org: string;
  let key: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    const shared = await createSharedTestDatabase(path.join(dataDir, 'db'));
    setupApp = await createApp(testConfig(), silentLog, { database: shared.handle, startJobs: false });
    org = await createOrg(setupApp);
    const ws = await addWorkspace(setupApp, org, 'main', true);
    key = await addKey(setupApp, org, ['*'], [ws]);
    // A PGlite directory allows one process: the CLI's.
    await setupApp.close();
    env = { ...shared.env, LOG_LEVEL: 'warn', SWITCHBOARD_RATE_LIMITS: 'on' };
    drop = shared.drop;
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sets a preset with explicit numbers, shows it, and refuses a bad number', { timeout: 180_000 }, async () => {
    const set = await runCli(
      ['rate-limits', 'set', '--preset', 'free', '--per-minute', '3', '--org', org, '--json'],
      env,
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const expected = {
      preset: 'free',
      per_minute: 3,
      per_hour: null,
      per_day: 1000,
      in_flight: 20,
      enforced: true,
    };
    expect(JSON.parse(set.stdout)).toEqual({ rate_limits: expected });

    const shown = await runCli(['rate-limits', 'show', '--org', org], env);
    expect(shown.stdout.trim()).toBe(
      'preset free: 3 per minute, no limit per hour, 1000 per day, 20 in flight (per key)',
    );
    const off = await runCli(['rate-limits', 'show', '--org', org, '--json'], {
      ...env,
      SWITCHBOARD_RATE_LIMITS: 'off',
    });
    expect(JSON.parse(off.stdout).rate_limits).toEqual({ ...expected, enforced: false });

    const bad = await runCli(['rate-limits', 'set', '--per-day', 'zero', '--org', org], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/"zero" is not a positive whole number or "none"/);
  });

  it('answers a stdio tool call over the limit with an isError result naming rate_limited and the wait', {
    timeout: 120_000,
  }, async () => {
    const client = new Client({ name: 'ratelimit-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'stdio'],
        env: { ...env, PATH: process.env.PATH ?? '', SWITCHBOARD_API_KEY: key },
        stderr: 'pipe',
      }),
    );
    clients.push(client);
    // tools/list is not counted; three calls are (the limit the previous test set).
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) expect((await callOk(client, 'list_prospects')).prospects).toEqual([]);
    expect(await callErr(client, 'list_prospects')).toMatch(
      /^rate_limited: Rate limit reached: this API key may make 3 requests per minute\. Retry in \d+ s$/,
    );
    await client.close();
  });

  it.runIf(TEST_DB_KIND === 'postgres')(
    'has the CLI read the same counters PostgreSQL keeps for every process',
    async () => {
      // Counters of the stdio process above are in the shared table: 3 requests this minute.
      const shared = await createApp(
        testConfig({ database: { kind: 'postgres', url: env.DATABASE_URL!, poolSize: 2 } }),
        silentLog,
        {
          startJobs: false,
        },
      );
      try {
        const rows = await shared.db.selectFrom('rate_limit_counters').select(['minute_count']).execute();
        expect(rows).toEqual([{ minute_count: 3 }]);
      } finally {
        await shared.close();
      }
    },
  );
});
