import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DB_KIND, createPgDatabase } from '../helpers/db.js';
import { CLI, runCli as run } from '../helpers/cli.js';

describe('switchboard mcp-json and a stdio server that cannot be misconfigured', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-mcp-json-'));
  // Where an MCP client might start the server: anywhere but the data directory.
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'switchboard-elsewhere-'));
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
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it('prints each client its own shape, with absolute paths', { timeout: 60_000 }, async () => {
    const shapes: [string, string, (c: Record<string, any>) => void][] = [
      [
        'claude-code',
        '--http',
        (c) =>
          expect(c.mcpServers.switchboard).toEqual({
            type: 'http',
            url: 'http://sb.example/mcp',
            headers: { Authorization: 'Bearer sb_given' },
          }),
      ],
      [
        'cursor',
        '--http',
        (c) =>
          expect(c.mcpServers.switchboard).toEqual({
            url: 'http://sb.example/mcp',
            headers: { Authorization: 'Bearer sb_given' },
          }),
      ],
      [
        'cline',
        '--http',
        (c) =>
          expect(c.mcpServers.switchboard).toMatchObject({
            type: 'streamableHttp',
            url: 'http://sb.example/mcp',
            headers: { Authorization: 'Bearer sb_given' },
          }),
      ],
      [
        'vscode',
        '--http',
        (c) =>
          expect(c.servers.switchboard).toEqual({
            type: 'http',
            url: 'http://sb.example/mcp',
            headers: { Authorization: 'Bearer sb_given' },
          }),
      ],
      [
        'claude-desktop',
        '--http',
        (c) => {
          const e = c.mcpServers.switchboard;
          expect(e).toMatchObject({ command: 'npx', env: { SWITCHBOARD_AUTH: 'Bearer sb_given' } });
          expect(e.args).toEqual([
            '-y',
            'mcp-remote',
            'http://sb.example/mcp',
            '--header',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: mcp-remote's own placeholder syntax.
            'Authorization:${SWITCHBOARD_AUTH}',
            '--allow-http',
          ]);
        },
      ],
    ];
    for (const [client, transport, check] of shapes) {
      const out = await run(['mcp-json', '--client', client, transport, '--url', 'http://sb.example/'], {
        SWITCHBOARD_API_KEY: 'sb_given',
        ...env,
      });
      expect(out.code, out.stderr).toBe(0);
      check(JSON.parse(out.stdout));
    }
    // No --url: the configured host and port.
    const local = JSON.parse(
      (await run(['mcp-json', '--http'], { SWITCHBOARD_API_KEY: 'sb_given', PORT: '9911', ...env })).stdout,
    );
    expect(local.mcpServers.switchboard.url).toBe('http://127.0.0.1:9911/mcp');
    const bad = await run(['mcp-json', '--client', 'emacs'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/claude-code, cursor, cline, claude-desktop, vscode/);
  });

  it('creates a key for a stdio configuration that serves tools/list from another working directory', {
    timeout: 120_000,
  }, async () => {
    const out = await run(
      ['mcp-json', '--client', 'vscode', '--stdio', '--create-key', '--scopes', 'prospects:read,workspaces:read'],
      env,
    );
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/created key key_/);
    const entry = JSON.parse(out.stdout).servers.switchboard;
    expect(entry).toMatchObject({ type: 'stdio', command: process.execPath, args: [CLI, 'stdio'] });
    expect(entry.env.SWITCHBOARD_API_KEY).toMatch(/^sb_/);
    if (TEST_DB_KIND === 'pglite') expect(entry.env.SWITCHBOARD_DATA_DIR).toBe(env.SWITCHBOARD_DATA_DIR);
    else expect(entry.env.DATABASE_URL).toBe(env.DATABASE_URL);
    for (const shape of ['claude-code', 'cursor', 'cline', 'claude-desktop']) {
      const o = await run(['mcp-json', '--client', shape, '--stdio'], {
        ...env,
        SWITCHBOARD_API_KEY: entry.env.SWITCHBOARD_API_KEY,
      });
      expect(JSON.parse(o.stdout).mcpServers.switchboard).toMatchObject({
        command: process.execPath,
        args: [CLI, 'stdio'],
        env: entry.env,
      });
    }

    const client = new Client({ name: 'mcp-json-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: entry.command,
        args: entry.args,
        env: { PATH: process.env.PATH ?? '', ...entry.env },
        cwd: elsewhere,
        stderr: 'pipe',
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('list_prospects');
    } finally {
      await client.close();
    }
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it.runIf(TEST_DB_KIND === 'pglite')(
    'stdio refuses an uninitialised or relative data directory, creating nothing, and names it',
    async () => {
      const empty = path.join(dir, 'never-initialised');
      const fresh = await run(['stdio'], { SWITCHBOARD_API_KEY: 'sb_whatever', SWITCHBOARD_DATA_DIR: empty });
      expect(fresh.code).toBe(1);
      expect(fresh.stderr).toContain(`No Switchboard database in ${empty}`);
      expect(fresh.stderr).toMatch(/switchboard serve/);
      expect(fresh.stderr).toMatch(/switchboard migrate/);
      expect(readdirSync(dir)).not.toContain('never-initialised');

      const relative = await run(['stdio'], {
        SWITCHBOARD_API_KEY: 'sb_whatever',
        SWITCHBOARD_DATA_DIR: './.switchboard',
      });
      expect(relative.code).toBe(1);
      expect(relative.stderr).toMatch(/SWITCHBOARD_DATA_DIR: must be an absolute path/);

      // Unset, every command uses the per-user directory, whatever the working directory.
      const xdg = path.join(dir, 'xdg');
      const unset = await run(['stdio'], { SWITCHBOARD_API_KEY: 'sb_whatever', XDG_DATA_HOME: xdg });
      expect(unset.stderr).toContain(`No Switchboard database in ${path.join(xdg, 'switchboard')}`);
    },
  );

  it('stdio names the database it checked a wrong key against', { timeout: 60_000 }, async () => {
    const wrong = await run(['stdio'], { ...env, SWITCHBOARD_API_KEY: 'sb_notakeyofthisdatabase' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/SWITCHBOARD_API_KEY is invalid, revoked or expired in the/);
    if (TEST_DB_KIND === 'pglite') expect(wrong.stderr).toContain(`embedded database in ${env.SWITCHBOARD_DATA_DIR}`);
    else {
      const url = new URL(env.DATABASE_URL!);
      expect(wrong.stderr).toContain(`PostgreSQL database "${url.pathname.slice(1)}" on ${url.hostname}:${url.port}`);
    }
  });
});
