import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DB_KIND, createPgDatabase } from '../helpers/db.js';
import { runCli as run, startServe } from '../helpers/cli.js';
import { callOk, connectHttp } from '../helpers/mcp.js';
import { until } from '../helpers/wait.js';

describe('the switchboard command', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-cli-'));
  let env: Record<string, string>;
  let drop = async () => {};

  beforeAll(async () => {
    if (TEST_DB_KIND === 'postgres') {
      const pg = await createPgDatabase();
      env = { DATABASE_URL: pg.url };
      drop = pg.drop;
    } else {
      env = { SWITCHBOARD_DATA_DIR: path.join(dir, 'data') };
    }
  });
  afterAll(async () => {
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve bootstraps a demo workspace and key once, prints an mcp.json snippet that works, and stops cleanly on SIGTERM', async () => {
    // Resolves on the 'listening' line, which comes after the first-start key.
    // The demo data is off in the other tests' servers: this one is a newcomer's first start.
    const first = await startServe({ ...env, SWITCHBOARD_DEMO_DATA: 'on' });
    const printed = first.output();
    const key = printed.match(/\b(sb_[a-z0-9]+)\b/)?.[1];
    expect(key).toBeDefined();
    const snippet = JSON.parse(printed.slice(printed.indexOf('{\n'), printed.indexOf('\n}\n') + 2));
    expect(snippet.mcpServers.switchboard.url).toBe(`${first.url}/mcp`);
    expect(snippet.mcpServers.switchboard.headers.Authorization).toBe(`Bearer ${key}`);
    expect(printed).toContain(`Open the console at ${first.url}/console and sign in with it.`);

    expect(printed).toContain('with 5 fictional prospects and 5 drafts awaiting approval');

    const client = await connectHttp(first.url, key!);
    const { workspace } = await callOk(client, 'get_workspace_config');
    expect(workspace).toMatchObject({ slug: 'demo', is_test: true });
    // The demo a newcomer meets in the console: drafts to approve, which send (to the test sink) once approved.
    const { drafts } = await callOk(client, 'list_drafts', { status: 'pending_approval' });
    expect(drafts).toHaveLength(5);
    expect(drafts[0].subject).toMatch(/^A quick question for /);
    await callOk(client, 'approve_draft', { draft_id: drafts[0].id });
    await until('the approved demo draft to be sent', async () => {
      const { draft } = await callOk(client, 'get_draft', { draft_id: drafts[0].id });
      return draft.status === 'sent';
    });
    await client.close();

    const exited = new Promise<number | null>((r) => first.child.on('exit', r));
    first.child.kill('SIGTERM');
    expect(await exited).toBe(0);

    // A second start finds the key and prints none.
    const second = await startServe(env);
    expect(second.output()).not.toMatch(/sb_[a-z0-9]{20,}/);
    const stopped = new Promise<number | null>((r) => second.child.on('exit', r));
    second.child.kill('SIGINT');
    expect(await stopped).toBe(0);
  });

  it('creates a key for a person who signs in to the console', { timeout: 60_000 }, async () => {
    const made = await run(['keys', 'create', '--person', 'Jane Doe'], env);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/Sign in to the console at http:\/\/[^\s]+\/console with it\./);
    const secret = made.stdout.match(/\b(sb_[a-z0-9]{20,})\b/)![1]!;
    const listed = JSON.parse((await run(['keys', 'list', '--json'], env)).stdout);
    const key = listed.api_keys.find((k: { name: string }) => k.name === 'Jane Doe (person)');
    expect(key).toMatchObject({ workspaces: 'all', status: 'active' });
    expect(key.scopes).toContain('drafts:approve');
    expect(key.scopes).not.toContain('admin');
    expect(key.prefix).toBe(secret.slice(0, key.prefix.length));
    const bare = await run(['keys', 'create', '--name', 'x'], env);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/--workspace and --scopes are required/);
  });

  it('manages workspaces and keys with --json output', { timeout: 90_000 }, async () => {
    const created = await run(['workspaces', 'create', '--name', 'Sales Team', '--test', '--json'], env);
    expect(created.code).toBe(0);
    const ws = JSON.parse(created.stdout);
    expect(ws).toMatchObject({ slug: 'sales-team', is_test: true });

    const listed = JSON.parse((await run(['workspaces', 'list', '--json'], env)).stdout);
    expect(listed.workspaces.map((w: { slug: string }) => w.slug)).toContain('sales-team');

    const duplicate = await run(['workspaces', 'create', '--name', 'Sales Team'], env);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/conflict: .*sales-team/);

    const key = JSON.parse(
      (
        await run(
          ['keys', 'create', '--workspace', 'sales-team', '--scopes', 'prospects:read', '--name', 'reader', '--json'],
          env,
        )
      ).stdout,
    );
    expect(key.secret).toMatch(/^sb_/);
    expect(key.api_key).toMatchObject({
      name: 'reader',
      scopes: ['prospects:read'],
      workspaces: [ws.id],
      status: 'active',
    });

    const keys = JSON.parse((await run(['keys', 'list', '--json'], env)).stdout);
    expect(keys.api_keys.map((k: { id: string }) => k.id)).toContain(key.api_key.id);
    expect(JSON.stringify(keys)).not.toContain(key.secret);

    // A key is rotated once: a second rotation (while the first one's grace period runs) names the successor.
    const rotated = JSON.parse(
      (await run(['keys', 'rotate', key.api_key.id, '--grace-seconds', '600', '--json'], env)).stdout,
    );
    const again = await run(['keys', 'rotate', key.api_key.id, '--grace-seconds', '600'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`conflict: .*already rotated into ${rotated.api_key.id}`));

    const revoked = JSON.parse((await run(['keys', 'revoke', key.api_key.id, '--json'], env)).stdout);
    expect(revoked.status).toBe('revoked');

    const badScope = await run(['keys', 'create', '--workspace', 'sales-team', '--scopes', 'prospects:fly'], env);
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toMatch(/Unknown scope\(s\): prospects:fly/);

    const badWorkspace = await run(['keys', 'create', '--workspace', 'nowhere', '--scopes', '*'], env);
    expect(badWorkspace.code).toBe(1);
    expect(badWorkspace.stderr).toMatch(/not_found: Workspace nowhere not found/);
  });

  it.runIf(TEST_DB_KIND === 'pglite')(
    'refuses a second process on the same PGlite directory with the remedy, and the data survives',
    async () => {
      const server = await startServe(env);
      const second = await run(['workspaces', 'list'], env);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/already open in another Switchboard process/);
      expect(second.stderr).toMatch(/DATABASE_URL/);
      const exited = new Promise((r) => server.child.on('exit', r));
      server.child.kill('SIGTERM');
      await exited;
      const after = await run(['workspaces', 'list', '--json'], env);
      expect(after.code).toBe(0);
      expect(JSON.parse(after.stdout).workspaces.map((w: { slug: string }) => w.slug)).toEqual(
        expect.arrayContaining(['demo', 'sales-team']),
      );
    },
  );

  it('fails fast on bad configuration, naming the variable', async () => {
    const bad = await run(['migrate'], { ...env, PORT: 'eighty' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/PORT/);
  });
});
