import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DB_KIND, createPgDatabase } from '../helpers/db.js';
import { runCli as run, startServe, stop } from '../helpers/cli.js';

/**
 * Two OAuth-capable clients, run as their published command lines are: mcp-remote (Claude Desktop
 * reaches HTTP servers through it) and the MCP Inspector's CLI. With a good key they list and call
 * tools; with a wrong one they must say that the key is wrong, not fail somewhere in OAuth discovery
 * ("Dynamic Client Registration rejected (HTTP 404) ... No route POST /register"). Nothing leaves
 * 127.0.0.1, and no browser is opened: each run gets a browser that only records being started.
 */
const MCP_REMOTE = path.resolve('node_modules/mcp-remote/dist/proxy.js');
const INSPECTOR = path.resolve('node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');

describe('MCP clients over HTTP: mcp-remote and the Inspector CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-clients-'));
  let env: Record<string, string>;
  let drop = async () => {};
  let server: { child: ChildProcess; url: string };
  let key: string;

  beforeAll(async () => {
    if (TEST_DB_KIND === 'postgres') {
      const pg = await createPgDatabase();
      env = { DATABASE_URL: pg.url };
      drop = pg.drop;
    } else {
      env = { SWITCHBOARD_DATA_DIR: path.join(dir, 'data') };
    }
    const workspace = await run(['workspaces', 'create', '--name', 'Main', '--slug', 'main', '--test'], env);
    expect(workspace.code, workspace.stderr).toBe(0);
    const created = await run(['keys', 'create', '--workspace', 'all', '--scopes', '*', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    key = JSON.parse(created.stdout).secret;
    server = await startServe(env);
  }, 120_000);
  afterAll(async () => {
    if (server) await stop(server.child);
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A home of its own (config, token caches), and a browser that writes where it was sent instead of opening. */
  function sandbox(name: string) {
    const home = mkdtempSync(path.join(dir, `${name}-`));
    const browser = path.join(home, 'browser');
    writeFileSync(browser, `#!/bin/sh\necho "$@" >> "${home}/browser-opened"\n`);
    chmodSync(browser, 0o755);
    return {
      env: { PATH: process.env.PATH ?? '', HOME: home, BROWSER: browser, XDG_CONFIG_HOME: path.join(home, '.config') },
      browserOpened: () => existsSync(path.join(home, 'browser-opened')),
    };
  }

  function runClient(
    script: string,
    args: string[],
    clientEnv: Record<string, string>,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [script, ...args], { env: clientEnv, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end();
    });
  }

  it('answers every step of OAuth discovery in words that point at the key', async () => {
    for (const p of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-authorization-server',
    ]) {
      const res = await fetch(`${server.url}${p}`);
      expect(res.status).toBe(404);
      expect((await res.json()).error.message).toMatch(/does not offer OAuth: send your API key/);
    }
    const reg = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"redirect_uris":["http://localhost/cb"]}',
    });
    expect(reg.status).toBe(400);
    expect(await reg.json()).toMatchObject({
      error: 'invalid_client_metadata',
      error_description: expect.stringMatching(/does not offer OAuth/),
    });
    const denied = await fetch(`${server.url}/api/v1/workspaces`, { headers: { authorization: 'Bearer sb_wrong' } });
    expect(denied.headers.get('www-authenticate')).toMatch(
      /error_description="The API key is invalid, revoked or expired"/,
    );
  });

  describe('mcp-remote, as `switchboard mcp-json --client claude-desktop --http` configures it', () => {
    /** The configuration a user pastes into Claude Desktop, with `npx -y mcp-remote` run from node_modules. */
    async function claudeDesktopEntry(withKey: string) {
      const out = await run(['mcp-json', '--client', 'claude-desktop', '--http', '--url', server.url], {
        ...env,
        SWITCHBOARD_API_KEY: withKey,
      });
      expect(out.code, out.stderr).toBe(0);
      const entry = JSON.parse(out.stdout).mcpServers.switchboard;
      expect(entry.args.slice(0, 2)).toEqual(['-y', 'mcp-remote']);
      return { args: entry.args.slice(2) as string[], env: entry.env as Record<string, string> };
    }

    it('lists and calls tools with a good key', { timeout: 60_000 }, async () => {
      const entry = await claudeDesktopEntry(key);
      const box = sandbox('mcp-remote-good');
      const client = new Client({ name: 'mcp-clients-test', version: '1.0.0' });
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [MCP_REMOTE, ...entry.args],
          env: { ...box.env, MCP_REMOTE_CONFIG_DIR: box.env.HOME, ...entry.env },
          stderr: 'pipe',
        }),
      );
      try {
        expect((await client.listTools()).tools.map((t) => t.name)).toContain('list_prospects');
        const result = await client.callTool({ name: 'list_workspaces', arguments: {} });
        expect(result.isError).toBeFalsy();
        expect((result.structuredContent as { workspaces: { slug: string }[] }).workspaces[0]?.slug).toBe('main');
      } finally {
        await client.close();
      }
      expect(box.browserOpened()).toBe(false);
    });

    it('exits with a wrong key saying to check the key, without opening a browser', { timeout: 60_000 }, async () => {
      const entry = await claudeDesktopEntry('sb_wrong');
      const box = sandbox('mcp-remote-wrong');
      const r = await runClient(MCP_REMOTE, entry.args, {
        ...box.env,
        MCP_REMOTE_CONFIG_DIR: box.env.HOME,
        ...entry.env,
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/Switchboard does not offer OAuth: send your API key/);
      expect(r.stderr).toMatch(/Check the key in its configuration/);
      expect(r.stderr).not.toMatch(/No route POST \/register/);
      expect(box.browserOpened()).toBe(false);
    });
  });

  describe('the Inspector CLI, as the README writes it', () => {
    const inspector = (args: string[], extraEnv: Record<string, string> = {}) => {
      const box = sandbox('inspector');
      // Secrets (OAuth tokens) in memory: no keychain, no file in the sandboxed home either.
      const r = runClient(INSPECTOR, ['--cli', `${server.url}/mcp`, '--transport', 'http', ...args], {
        ...box.env,
        MCP_INSPECTOR_SECRET_STORE: 'memory',
        ...extraEnv,
      });
      return r.then((out) => ({ ...out, browserOpened: box.browserOpened() }));
    };

    it('lists and calls tools with a good key', { timeout: 60_000 }, async () => {
      const list = await inspector(['--method', 'tools/list', '--header', `Authorization: Bearer ${key}`]);
      expect(list.code, list.stderr).toBe(0);
      const names = (JSON.parse(list.stdout).tools as { name: string }[]).map((t) => t.name);
      expect(names).toContain('list_prospects');
      const call = await inspector([
        '--method',
        'tools/call',
        '--tool-name',
        'list_workspaces',
        '--header',
        `Authorization: Bearer ${key}`,
      ]);
      expect(call.code, call.stderr).toBe(0);
      expect(JSON.parse(call.stdout).structuredContent.workspaces[0].slug).toBe('main');
    });

    it('says the key is invalid with --stored-auth-only', { timeout: 60_000 }, async () => {
      const r = await inspector([
        '--method',
        'tools/list',
        '--header',
        'Authorization: Bearer sb_wrong',
        '--stored-auth-only',
      ]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/The API key is invalid, revoked or expired/);
    });

    it('when it goes through OAuth, fails saying to check the key, without opening a browser', {
      timeout: 60_000,
    }, async () => {
      // Without a terminal the Inspector does not try OAuth unless told to; told to, it must stop at
      // registration with Switchboard's words, before a browser would be needed.
      const r = await inspector(['--method', 'tools/list', '--header', 'Authorization: Bearer sb_wrong'], {
        MCP_AUTO_OPEN_ENABLED: 'true',
      });
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/Switchboard does not offer OAuth: send your API key/);
      expect(r.stdout + r.stderr).not.toMatch(/No route POST \/register/);
      expect(r.browserOpened).toBe(false);
    });
  });
});
