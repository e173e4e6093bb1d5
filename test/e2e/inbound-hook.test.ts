import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import type { Workspace } from '../../src/kernel/context.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';

/** The raw-MIME inbound hook through the real HTTP server. */
describe('POST /hooks/inbound/{token}', () => {
  let t: TestApp;
  let server: RunningServer;
  let key: string;
  let org: string;
  let ws: Workspace;
  const admin = () => ({ Authorization: `Bearer ${key}` });
  const rotate = async () => {
    const res = await fetch(`${server.url}/api/v1/workspaces/main/inbound/token`, { method: 'POST', headers: admin() });
    expect(res.status).toBe(201);
    return (await res.json()) as { token: string; path: string; url: string; hook: { token_prefix: string } };
  };
  const post = (path: string, body: BodyInit, type = 'message/rfc822') =>
    fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': type } });

  beforeAll(async () => {
    t = await createTestApp();
    org = await createOrg(t.app);
    ws = await addWorkspace(t.app, org, 'main');
    key = await addKey(t.app, org, ['*'], [ws]);
    server = await startHttpServer(t.app, { port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it('shows the token once: settings show only its prefix; the table holds only its hash', async () => {
    const made = await rotate();
    expect(made.token).toMatch(/^sbin_[0-9a-z]{40}$/);
    expect(made.path).toBe(`/hooks/inbound/${made.token}`);
    expect(made.token.startsWith(made.hook.token_prefix)).toBe(true);
    const settings = await (await fetch(`${server.url}/api/v1/workspaces/main/inbound`, { headers: admin() })).text();
    expect(settings).not.toContain(made.token);
    const rows = await t.app.db.selectFrom('inbound_hook_tokens').select(['token_hash', 'prefix']).execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(made.token);
  });

  it('answers the same 404 to an unknown, malformed or rotated token, before reading the email', async () => {
    const old = await rotate();
    await rotate();
    const email = 'From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n';
    const answers = [];
    for (const path of [
      old.path,
      `/hooks/inbound/sbin_${'a'.repeat(40)}`,
      '/hooks/inbound/nope',
      `/hooks/inbound/${'x'.repeat(300)}`,
    ]) {
      const res = await post(path, email);
      expect(res.status, path).toBe(404);
      answers.push(await res.json());
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0].error.code).toBe('not_found');
  });

  it('refuses a body that is not an email (400) and one over 10 MB (413)', async () => {
    const { path } = await rotate();
    for (const [body, type] of [
      ['{"from":"a@b.example","body":"hi"}', 'application/json'],
      ['hello there', 'text/plain'],
      [new Uint8Array([0, 1, 2, 255, 254]), 'application/octet-stream'],
      ['Subject: no sender\r\n\r\nhello', 'message/rfc822'],
    ] as const) {
      const res = await post(path, body, type);
      expect(res.status, String(body)).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_request');
    }
    const huge = new Uint8Array(10 * 1024 * 1024 + 1).fill(97);
    const res = await post(path, huge, 'application/octet-stream');
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
  });

  it('the admin routes need the admin scope', async () => {
    const reader = await addKey(t.app, org, ['prospects:read'], [ws]);
    const res = await fetch(`${server.url}/api/v1/workspaces/main/inbound/token`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${reader}` },
    });
    expect(res.status).toBe(403);
  });
});
