import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { type FakeAnthropicServer, startFakeAnthropic } from '../helpers/fake-anthropic.js';
import { callOk, callTool, connectHttp } from '../helpers/mcp.js';

const DAY = 24 * 3600 * 1000;
/** 19:30 in UTC+01:00, `days` from now. */
const at = (days: number) => `${new Date(Date.now() + days * DAY).toISOString().slice(0, 10)}T19:30:00+01:00`;

/** The tool_result blocks of the last user turn the fake received. */
const toolResults = (body: any): any[] =>
  (Array.isArray(body.messages.at(-1).content) ? body.messages.at(-1).content : []).filter(
    (b: any) => b.type === 'tool_result',
  );

describe('bookings over REST and MCP, and taken by a restaurant agent (the real SDK against a fake Messages API)', () => {
  let claude: FakeAnthropicServer;
  let t: TestApp;
  let server: RunningServer;
  let key: string;
  let readOnlyKey: string;
  let client: Client;

  const api = async (method: string, path: string, body?: unknown, secret = key) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    claude = await startFakeAnthropic();
    t = await createTestApp({
      anthropic: claude.config,
    });
    const org = await createOrg(t.app);
    const ws = await addWorkspace(t.app, org, 'bistro');
    key = await addKey(t.app, org, ['*'], [ws]);
    readOnlyKey = await addKey(t.app, org, ['bookings:read'], [ws]);
    server = await startHttpServer(t.app, { port: 0 });
    client = await connectHttp(server.url, key);
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    await t?.close();
    await claude?.close();
  });

  it('creates (201), reads, changes, lists and cancels a booking over REST, with an idempotent create', async () => {
    const body = { name: 'Durand', party_size: 4, starts_at: at(7), contact: 'durand@example.com', notes: 'birthday' };
    const created = await api('POST', '/bookings', { ...body, idempotency_key: 'bk-1' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.booking.id;
    expect(created.body.booking).toMatchObject({ status: 'confirmed', party_size: 4, duration_minutes: 90 });
    const replay = await api('POST', '/bookings', { ...body, idempotency_key: 'bk-1' });
    expect(replay.body.booking.id).toBe(id);

    expect((await api('GET', `/bookings/${id}`)).body.booking.notes).toContain('<third_party_content>');
    const changed = await api('PATCH', `/bookings/${id}`, { party_size: 5, starts_at: at(8) });
    expect(changed.status).toBe(200);
    expect(changed.body.booking).toMatchObject({ party_size: 5, starts_at: new Date(at(8)).toISOString() });

    const past = await api('POST', '/bookings', { ...body, starts_at: at(-1) });
    expect(past.status).toBe(400);
    expect(past.body.error).toMatchObject({ code: 'invalid_request', param: 'starts_at' });
    const crowd = await api('POST', '/bookings', { ...body, party_size: 80 });
    expect(crowd.status).toBe(400);
    const noOffset = await api('POST', '/bookings', { ...body, starts_at: '2030-01-01T19:30:00' });
    expect(noOffset.status).toBe(400);

    const from = encodeURIComponent(new Date(Date.now() + 7 * DAY).toISOString());
    const listed = await api('GET', `/bookings?from=${from}&status=confirmed`);
    expect(listed.body.bookings.map((b: { id: string }) => b.id)).toEqual([id]);

    const cancelled = await api('POST', `/bookings/${id}/cancel`, { reason: 'guest called' });
    expect(cancelled.body.booking.status).toBe('cancelled');
    expect((await api('PATCH', `/bookings/${id}`, { party_size: 2 })).status).toBe(409);
    const types = (
      await t.app.db.selectFrom('events').select('type').where('type', 'like', 'booking.%').orderBy('id').execute()
    ).map((e) => e.type);
    expect(types).toEqual(['booking.created', 'booking.updated', 'booking.cancelled']);

    // bookings:read alone reads but cannot book.
    expect((await api('GET', `/bookings/${id}`, undefined, readOnlyKey)).status).toBe(200);
    expect((await api('POST', '/bookings', body, readOnlyKey)).status).toBe(403);
  });

  it('refuses over REST what the bookings settings do not allow, with 400 and 409', async () => {
    const ws = (await api('GET', '/workspaces')).body.workspaces[0];
    const put = await api('PUT', `/workspaces/${ws.id}/bookings`, {
      bookings: { max_covers_per_slot: 8, opening_hours: { mon: [{ open: '19:00', close: '18:00' }] } },
    });
    expect(put.status).toBe(400);
    const everyDay = Object.fromEntries(
      ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ open: '17:00', close: '23:00' }]]),
    );
    const ok = await api('PUT', `/workspaces/${ws.id}/bookings`, {
      bookings: { max_covers_per_slot: 8, opening_hours: everyDay },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.workspace.settings.bookings.max_covers_per_slot).toBe(8);
    const base = { name: 'Leroy', starts_at: at(20) }; // 19:30+01:00 is 18:30 in the workspace's UTC
    expect((await api('POST', '/bookings', { ...base, party_size: 6 })).status).toBe(201);
    const full = await api('POST', '/bookings', { ...base, party_size: 3 });
    expect(full.status).toBe(409);
    expect(full.body.error.message).toMatch(/2 of 8 covers left/);
    const early = await api('POST', '/bookings', {
      ...base,
      starts_at: at(20).replace('19:30', '12:00'),
      party_size: 2,
    });
    expect(early.status).toBe(400);
    expect(early.body.error.message).toMatch(/outside the opening hours/);
    await api('PUT', `/workspaces/${ws.id}/bookings`, { bookings: { max_covers_per_slot: null, opening_hours: null } });
  });

  it('books and lists over MCP with the same operations', async () => {
    const { booking } = await callOk(client, 'create_booking', { name: 'Moreau', party_size: 2, starts_at: at(10) });
    const { bookings } = await callOk(client, 'list_bookings', { status: 'confirmed' });
    expect(bookings.map((b: { id: string }) => b.id)).toContain(booking.id);
    const bad = await callTool(client, 'update_booking', { booking_id: booking.id, starts_at: at(-3) });
    expect(bad.isError).toBe(true);
    expect((bad.content[0] as { text: string }).text).toMatch(/^invalid_request: starts_at .* is not in the future/);
  });

  it("a restaurant agent books with create_booking, in its session's workspace and conversation", async () => {
    const agent = (await api('POST', '/agents', { name: 'Bistro', vertical: 'restaurant' })).body.agent;
    expect(agent.tools).toEqual(
      expect.arrayContaining(['create_booking', 'update_booking', 'cancel_booking', 'list_bookings']),
    );
    const starts = at(14);
    claude.requests.length = 0;
    claude.respond((body) => {
      if (!toolResults(body).length) {
        const cnv = /conversation's id is (cnv_\w+)/.exec(body.system)![1];
        return {
          content: [
            {
              type: 'tool_use',
              id: 'toolu_book',
              name: 'create_booking',
              input: {
                conversation_id: cnv,
                name: 'Petit',
                party_size: 3,
                starts_at: starts,
                contact: '+33 6 00 00 00 00',
              },
            },
          ],
          stop_reason: 'tool_use',
        };
      }
      return { text: 'Your table for 3 is booked.' };
    });
    const res = await api('POST', '/messages', {
      agent_id: agent.id,
      content: 'Yes, please book a table for 3 under Petit, my number is +33 6 00 00 00 00.',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', answer: 'Your table for 3 is booked.' });
    // The booking request reached the model (no rule handed it over), with the booking tools offered.
    const first = claude.requests[0]!.body;
    expect(first.tools.map((tool: { name: string }) => tool.name)).toEqual(
      expect.arrayContaining(['create_booking', 'list_bookings']),
    );
    expect(first.system).toMatch(/get a clear yes before calling create_booking/);
    const result = toolResults(claude.requests[1]!.body)[0];
    expect(result.is_error).toBeFalsy();

    const rows = await t.app.db
      .selectFrom('bookings')
      .select([
        'workspace_id',
        'conversation_id',
        'name',
        'party_size',
        'starts_at',
        'created_by_type',
        'created_by_id',
      ])
      .where('name', '=', 'Petit')
      .execute();
    const session = await t.app.db
      .selectFrom('conversations')
      .select(['workspace_id', 'id'])
      .where('id', '=', res.body.session_id)
      .executeTakeFirstOrThrow();
    expect(rows).toEqual([
      {
        workspace_id: session.workspace_id,
        conversation_id: session.id,
        name: 'Petit',
        party_size: 3,
        starts_at: new Date(starts),
        created_by_type: 'agent',
        created_by_id: agent.id,
      },
    ]);
  });
});
