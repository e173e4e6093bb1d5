import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../../src/kernel/context.js';
import { type RunningServer, startHttpServer } from '../../../src/transport/http/server.js';
import { REST_PREFIX } from '../../../src/transport/http/rest.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../../helpers/app.js';

/** The templates routes through a real listening server, with fetch. */

let t: TestApp;
let server: RunningServer;
let main: Workspace;
/** Every scope, only `main`. */
let key: string;
/** templates:read only. */
let readKey: string;

interface Res {
  status: number;
  body: any;
}

async function api(
  method: string,
  path: string,
  opts: { key?: string; query?: Record<string, unknown>; body?: unknown } = {},
): Promise<Res> {
  const url = new URL(`${server.url}${REST_PREFIX}${path}`);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, String(v));
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${opts.key ?? key}`,
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const eventTypes = async () =>
  (
    await t.app.db
      .selectFrom('events')
      .select('type')
      .where('workspace_id', '=', main.id)
      .where('type', 'like', 'template.%')
      .orderBy('id')
      .execute()
  ).map((e) => e.type);

beforeAll(async () => {
  t = await createTestApp();
  const org = await createOrg(t.app);
  main = await addWorkspace(t.app, org, 'main');
  key = await addKey(t.app, org, ['*'], [main]);
  readKey = await addKey(t.app, org, ['templates:read'], [main]);
  server = await startHttpServer(t.app, { port: 0 });
});

afterAll(async () => {
  await server?.close();
  await t?.close();
});

describe('REST /templates', () => {
  it('creates, renders, updates and deletes a template', async () => {
    const created = await api('POST', '/templates', {
      body: {
        key: 'follow-up',
        name: 'Follow-up',
        category: 'email',
        subject: 'Re: {{ topic }}',
        body: 'Hi {{ prospect.first_name | "there" }}, about {{ topic }}.',
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.template.id as string;
    expect(created.body.template).toMatchObject({
      key: 'follow-up',
      category: 'email',
      variables: ['topic', 'prospect.first_name'],
    });

    const rendered = await api('POST', `/templates/${id}/render`, {
      body: { variables: { topic: 'pricing', prospect: { first_name: 'Ada' } } },
    });
    expect(rendered).toEqual({
      status: 200,
      body: {
        subject: 'Re: pricing',
        body: 'Hi Ada, about pricing.',
        variables_used: ['topic', 'prospect.first_name'],
      },
    });
    const byKey = await api('POST', '/templates/follow-up/render', { body: { variables: { topic: 'onboarding' } } });
    expect(byKey.body.body).toBe('Hi there, about onboarding.');

    const updated = await api('PUT', `/templates/${id}`, { body: { subject: null, body: 'Ping {{ who }}' } });
    expect(updated.status).toBe(200);
    expect(updated.body.template).toMatchObject({
      id,
      key: 'follow-up',
      subject: null,
      body: 'Ping {{ who }}',
      variables: ['who'],
    });
    expect((await api('GET', `/templates/${id}`)).body.template.body).toBe('Ping {{ who }}');

    const deleted = await api('DELETE', `/templates/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.template.id).toBe(id);
    expect((await api('GET', `/templates/${id}`)).status).toBe(404);
    expect(await eventTypes()).toEqual(['template.created', 'template.updated', 'template.deleted']);
  });

  it('answers 409 for a taken key and 400 naming the position of a syntax error', async () => {
    expect((await api('POST', '/templates', { body: { key: 'taken', name: 'One', body: 'one' } })).status).toBe(201);
    const again = await api('POST', '/templates', { body: { key: 'taken', name: 'Two', body: 'two' } });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'conflict', param: 'key' });

    const broken = await api('POST', '/templates', {
      body: { key: 'broken', name: 'Broken', body: 'Line one\nHi {{ name | there }}' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toMatchObject({ code: 'invalid_request', param: 'body' });
    expect(broken.body.error.message).toMatch(/line 2, column 14: the default of \{\{name\}\} must be a quoted string/);

    const badKey = await api('POST', '/templates', { body: { key: 'Bad Key', name: 'x', body: 'x' } });
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.param).toBe('key');
  });

  it('answers 400 listing every missing variable when rendering', async () => {
    await api('POST', '/templates', {
      body: { key: 'needs', name: 'Needs', subject: '{{ a }}', body: '{{ b.c }} {{ d }} {{ e | "ok" }}' },
    });
    const res = await api('POST', '/templates/needs/render', { body: { variables: { d: { nested: true } } } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', param: 'variables' });
    expect(res.body.error.message).toMatch(/Missing template variables: a, b\.c\./);
    expect(res.body.error.message).toMatch(/but d is an object or array/);
  });

  it('lists with a category filter and pages, and keeps writes to templates:write', async () => {
    for (const k of ['w-1', 'w-2', 'w-3'])
      await api('POST', '/templates', { body: { key: k, name: k, category: 'widget', body: k } });
    const first = await api('GET', '/templates', { key: readKey, query: { category: 'widget', limit: 2 } });
    expect(first.status).toBe(200);
    expect(first.body.templates.map((x: { key: string }) => x.key)).toEqual(['w-1', 'w-2']);
    const second = await api('GET', '/templates', {
      key: readKey,
      query: { category: 'widget', limit: 2, cursor: first.body.next_cursor },
    });
    expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
    expect(second.body.templates.map((x: { key: string }) => x.key)).toEqual(['w-3']);
    expect((await api('GET', '/templates', { query: { category: 'nope' } })).status).toBe(400);

    const denied = await api('POST', '/templates', { key: readKey, body: { key: 'denied', name: 'x', body: 'x' } });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toContain('templates:write');
    expect((await api('GET', '/templates/denied')).status).toBe(404);
  });
});
