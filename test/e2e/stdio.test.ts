import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { hashSecret } from '../../src/domains/tenancy/auth.js';
import type { Workspace } from '../../src/kernel/context.js';
import { addKey, addWorkspace, createOrg, silentLog, testConfig } from '../helpers/app.js';
import { TEST_DB_KIND, createSharedTestDatabase } from '../helpers/db.js';
import { callErr, callOk } from '../helpers/mcp.js';
import { until } from '../helpers/wait.js';

const CLI = path.resolve('bin/switchboard.js');

describe('MCP over stdio (the built CLI)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-stdio-'));
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let fullKey: string;
  let readKey: string;
  const clients: Client[] = [];

  // On PostgreSQL the setup app stays open, so a test can change keys while a stdio process runs; a PGlite directory allows one process only.
  let setupApp: App;
  let org: string;
  let ws: Workspace;

  beforeAll(async () => {
    const shared = await createSharedTestDatabase(path.join(dataDir, 'db'));
    setupApp = await createApp(testConfig(), silentLog, { database: shared.handle, startJobs: false });
    org = await createOrg(setupApp);
    ws = await addWorkspace(setupApp, org, 'main', true);
    fullKey = await addKey(setupApp, org, ['*'], [ws]);
    readKey = await addKey(setupApp, org, ['prospects:read', 'suppression:read', 'workspaces:read'], [ws]);
    if (TEST_DB_KIND === 'pglite') await setupApp.close();
    env = { ...shared.env, LOG_LEVEL: 'warn', PATH: process.env.PATH ?? '' };
    drop = shared.drop;
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    if (TEST_DB_KIND === 'postgres') await setupApp?.close();
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function connect(key: string, args: string[] = []): Promise<Client> {
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'stdio', ...args],
        env: { ...env, SWITCHBOARD_API_KEY: key },
        stderr: 'pipe',
      }),
    );
    clients.push(client);
    return client;
  }

  it('lists and calls every tool', async () => {
    const client = await connect(fullKey);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('list_prospects');
    expect(tools.map((t) => t.name)).not.toContain('remove_suppression');

    const { prospect } = await callOk(client, 'upsert_prospect', { email: 'grace@example.com', first_name: 'Grace' });
    expect((await callOk(client, 'get_prospect', { prospect_id: prospect.id })).prospect.email).toBe(
      'grace@example.com',
    );
    expect((await callOk(client, 'list_prospects')).prospects).toHaveLength(1);
    expect((await callOk(client, 'get_prospect_history', { prospect_id: prospect.id })).events[0].type).toBe(
      'prospect.created',
    );
    expect(
      (await callOk(client, 'add_to_suppression_list', { email: '@spam.example', reason: 'domain opted out' })).created,
    ).toBe(true);
    expect((await callOk(client, 'check_suppression', { email: 'x@spam.example' })).suppressed).toBe(true);
    expect((await callOk(client, 'list_suppressions')).suppressions).toHaveLength(1);
    expect((await callOk(client, 'get_workspace_config')).workspace.is_test).toBe(true);
    expect((await callOk(client, 'list_workspaces')).workspaces).toHaveLength(1);
    expect(await callErr(client, 'get_prospect', { prospect_id: 'pro_missing' })).toMatch(/^not_found/);
    await client.close();
  });

  // stdio answers tools/list before its job queue is up; a call that enqueues, sent at once, waits for it.
  it('runs background jobs: a document added right after connecting is ingested', async () => {
    const client = await connect(fullKey);
    const { knowledge_base } = await callOk(client, 'create_knowledge_base', { name: 'Notes' });
    const { document } = await callOk(client, 'add_document', {
      knowledge_base_id: knowledge_base.id,
      name: 'note.md',
      content: '# Start-up\n\nThe stdio server runs its background jobs itself.',
      wait: true,
    });
    expect(document.status).toBe('ready');
    const { results } = await callOk(client, 'kb_search', { query: 'background jobs' });
    expect(results[0].document_id).toBe(document.id);
    await client.close();
  });

  // Starting the queue at once held initialize back (on PGlite every query runs on the server's thread).
  it('starts its job queue after the first answers: after tools/list, or two seconds after connecting', async () => {
    const started = async (list: boolean) => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'stdio'],
        env: { ...env, SWITCHBOARD_API_KEY: fullKey, LOG_LEVEL: 'debug' },
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const client = new Client({ name: 'stdio-test', version: '1.0.0' });
      await client.connect(transport);
      clients.push(client);
      // Closed whatever happens: a PGlite directory left open would fail every later test.
      try {
        const connected = Date.now();
        expect(stderr).not.toContain('job queue started');
        if (list) await client.listTools();
        await until('the job queue to start', () => stderr.includes('job queue started'));
        return Date.now() - connected;
      } finally {
        await client.close();
      }
    };
    // Two seconds after the server connected, which is a little before the client's connect resolved.
    const byTimer = await started(false);
    expect(byTimer).toBeGreaterThanOrEqual(1000);
    // The tools/list answer starts it sooner. (Whether the answer or the log line reaches this
    // process first is up to the scheduler, so the order is not asserted.)
    expect(await started(true)).toBeLessThan(byTimer);
  });

  it('narrows the tools with --toolsets, --exclude-tools and --read-only', async () => {
    const client = await connect(fullKey, ['--toolsets', 'suppression', '--read-only']);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['check_suppression', 'list_suppressions']);
    await client.close();
    const other = await connect(fullKey, [
      '--toolsets',
      'prospects',
      '--tools',
      'check_suppression',
      '--exclude-tools',
      'upsert_prospect',
    ]);
    expect((await other.listTools()).tools.map((t) => t.name)).toEqual([
      'list_prospects',
      'get_prospect',
      'get_prospect_history',
      'check_suppression',
    ]);
    await other.close();
  });

  it('shows a read-only key only read-only tools', async () => {
    const client = await connect(readKey);
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    await client.close();
  });

  function run(
    args: string[],
    extraEnv: Record<string, string>,
    stdin?: string,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      if (stdin !== undefined) child.stdin.end(stdin);
    });
  }

  it('writes nothing but protocol messages to stdout', async () => {
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    };
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
    const { stdout } = await run(
      ['stdio'],
      { SWITCHBOARD_API_KEY: fullKey, LOG_LEVEL: 'debug' },
      `${JSON.stringify(init)}\n${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n${JSON.stringify(list)}\n`,
    );
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => JSON.parse(l).id)).toEqual([1, 2]);
  });

  // Revoking from another process needs a database two processes can open: PostgreSQL.
  it.runIf(TEST_DB_KIND === 'postgres')('stops serving a client whose key is revoked while it runs', async () => {
    const doomed = await addKey(setupApp, org, ['*'], [ws]);
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'stdio'],
        env: { ...env, SWITCHBOARD_API_KEY: doomed, SWITCHBOARD_CACHE_MS: '0' },
        stderr: 'pipe',
      }),
    );
    clients.push(client);
    expect((await callOk(client, 'list_workspaces')).workspaces).toHaveLength(1);
    await setupApp.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('secret_hash', '=', hashSecret(doomed))
      .execute();
    await expect(client.callTool({ name: 'list_workspaces', arguments: {} })).rejects.toThrow(
      /SWITCHBOARD_API_KEY has been revoked or has expired/,
    );
    await expect(client.listTools()).rejects.toThrow(/revoked/);
    await client.close();
  });

  it('refuses to start without a valid key, or with an unknown toolset, saying why', async () => {
    const missing = await run(['stdio'], {}, '');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/SWITCHBOARD_API_KEY is not set/);
    const wrong = await run(['stdio'], { SWITCHBOARD_API_KEY: 'sb_wrong' }, '');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/invalid, revoked or expired/);
    const unknown = await run(['stdio', '--toolsets', 'prospects,nope'], { SWITCHBOARD_API_KEY: fullKey }, '');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown toolset\(s\): nope/);
    expect(unknown.stdout).toBe('');
  });
});
