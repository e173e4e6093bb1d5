import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import type { Clock } from '../../../src/kernel/clock.js';
import type { RequestContext, Workspace } from '../../../src/kernel/context.js';
import { newId } from '../../../src/kernel/ids.js';
import { getKpis } from '../../../src/domains/kpis/index.js';
import { createDraft } from '../../../src/domains/outreach/drafts.service.js';
import { upsertProspect } from '../../../src/domains/prospects/prospects.service.js';
import { createTemplate } from '../../../src/domains/templates/templates.service.js';
import { type RunningServer, startHttpServer } from '../../../src/transport/http/server.js';
import { REST_PREFIX } from '../../../src/transport/http/rest.js';
import { type TestApp, addKey, addWorkspace, contextFor, createOrg, createTestApp } from '../../helpers/app.js';
import { callErr, callOk, connectHttp } from '../../helpers/mcp.js';

// A seeded event history with known answers. Workspace `paris` counts days in Europe/Paris (UTC+1
// in early March, UTC+2 from 29 March); `utc` counts them in UTC.

const now = new Date('2026-03-03T23:30:00Z'); // already 4 March in Paris
const clock: Clock = { now: () => now };

let t: TestApp;
let app: App;
let paris: Workspace;
let utc: Workspace;
let testWs: Workspace;
let empty: Workspace;
let key: string;
let ctx: (ws: Workspace) => Promise<RequestContext>;

async function event(ws: Workspace, type: string, at: string, data: Record<string, unknown> = {}, isTest = false) {
  const when = new Date(at);
  await app.db
    .insertInto('events')
    .values({
      workspace_id: ws.id,
      id: newId('evt', when),
      type,
      prospect_id: null,
      data: JSON.stringify(data),
      actor_type: 'system',
      actor_id: 'test',
      is_test: isTest,
      created_at: when,
    })
    .execute();
}

const classified = (reply: string, label: string, corrected = false) => ({
  reply_id: reply,
  label,
  confidence: 0.9,
  hot: false,
  return_date: null,
  model: 'offline',
  corrected,
});

beforeAll(async () => {
  t = await createTestApp({}, { clock });
  app = t.app;
  const org = await createOrg(app);
  paris = await addWorkspace(app, org, 'paris');
  utc = await addWorkspace(app, org, 'utc');
  testWs = await addWorkspace(app, org, 'sandbox', true);
  empty = await addWorkspace(app, org, 'empty');
  await app.db.updateTable('workspaces').set({ timezone: 'Europe/Paris' }).where('id', '=', paris.id).execute();
  key = await addKey(app, org, ['*'], 'all');
  ctx = (ws) => contextFor(app, key, ws.id);

  // 1 March in Paris, from 2026-02-28T23:00Z to 2026-03-01T23:00Z.
  await event(paris, 'email.sent', '2026-02-28T23:30:00Z', { draft_id: 'd0', provider: 'sink' }); // 00:30 local
  for (const d of ['d1', 'd2', 'd3']) await event(paris, 'email.sent', '2026-03-01T09:00:00Z', { draft_id: d });
  await event(paris, 'email.delivered', '2026-03-01T09:05:00Z', { draft_id: 'd1' });
  await event(paris, 'email.delivered', '2026-03-01T09:05:00Z', { draft_id: 'd2' });
  await event(paris, 'email.bounced', '2026-03-01T09:06:00Z', { draft_id: 'd3', bounce_type: 'hard' });
  await event(paris, 'email.opened', '2026-03-01T09:30:00Z', { draft_id: 'd1' });
  await event(paris, 'email.opened', '2026-03-01T10:00:00Z', { draft_id: 'd1' }); // the same email again
  await event(paris, 'email.opened', '2026-03-01T23:30:00Z', { draft_id: 'd2' }); // 00:30 on 2 March in Paris
  await event(paris, 'email.clicked', '2026-03-01T10:01:00Z', { draft_id: 'd1', url: 'https://example.com' });
  await event(paris, 'email.clicked', '2026-03-01T10:02:00Z', { draft_id: 'd1', url: 'https://example.com/b' });
  await event(paris, 'reply.received', '2026-03-01T12:00:00Z', { reply_id: 'r1' });
  await event(paris, 'reply.classified', '2026-03-01T12:00:00Z', classified('r1', 'interested'));
  await event(paris, 'reply.classified', '2026-03-01T13:00:00Z', classified('r2', 'out_of_office'));
  await event(paris, 'reply.classified', '2026-03-01T14:00:00Z', classified('r3', 'not_interested'));
  // Corrected two days later: still a reply of 1 March, now a positive one.
  await event(paris, 'reply.classified', '2026-03-03T08:00:00Z', classified('r3', 'meeting_request', true));
  await event(paris, 'reply.classified', '2026-03-01T15:00:00Z', classified('r4', 'bounce'));
  // A reply of 27 February corrected inside the range: not a reply of the range.
  await event(paris, 'reply.classified', '2026-02-27T10:00:00Z', classified('r5', 'other'));
  await event(paris, 'reply.classified', '2026-03-02T10:00:00Z', classified('r5', 'interested', true));
  await event(paris, 'hot_lead.detected', '2026-03-01T12:00:00Z', { reply_id: 'r1' });
  await event(paris, 'conversation.escalated', '2026-03-01T12:00:00Z', { escalation_id: 'e1', repeated: false });
  await event(paris, 'conversation.escalated', '2026-03-01T13:00:00Z', { escalation_id: 'e1', repeated: true });
  await event(paris, 'suppression.added', '2026-03-01T16:00:00Z', { value: 'a@x.com', source: 'unsubscribe' });
  await event(paris, 'suppression.added', '2026-03-01T16:00:00Z', { value: 'b@x.com', source: 'api' });
  await event(paris, 'email.unsubscribed', '2026-03-01T16:00:00Z', { draft_id: 'd1' }); // same act as the first
  // 2 March.
  await event(paris, 'suppression.added', '2026-03-02T10:00:00Z', { value: 'c@x.com', source: 'reply' });
  await event(paris, 'escalation.resolved', '2026-03-02T09:00:00Z', { escalation_id: 'e1' });
  await event(paris, 'email.sent', '2026-03-02T10:00:00Z', { draft_id: 't1' }, true); // test traffic
  // Outside the range: 00:30 on 4 March in Paris.
  await event(paris, 'email.sent', '2026-03-03T23:30:00Z', { draft_id: 'd9' });
  // Around the switch to summer time (29 March, 02:00 → 03:00 local).
  await event(paris, 'email.sent', '2026-03-28T23:30:00Z', { draft_id: 's1' }); // 29 March 00:30 (UTC+1)
  await event(paris, 'email.sent', '2026-03-29T21:30:00Z', { draft_id: 's2' }); // 29 March 23:30 (UTC+2)
  await event(paris, 'email.sent', '2026-03-29T22:30:00Z', { draft_id: 's3' }); // 30 March 00:30 (UTC+2)

  await event(utc, 'email.sent', '2026-03-01T23:30:00Z', { draft_id: 'u1' });
  await event(testWs, 'email.sent', '2026-03-01T10:00:00Z', { draft_id: 'x1' }, true);

  // One draft waiting for approval in paris.
  const pctx = await ctx(paris);
  const prospect = await upsertProspect(pctx, { email: 'ada@example.com', first_name: 'Ada' });
  await createTemplate(pctx, { key: 'hello', name: 'Hello', category: 'email', subject: 'Hi', body: 'Hi' });
  await createDraft(pctx, { prospect_id: prospect.prospect.id, template_key: 'hello', variables: {} });
});

afterAll(async () => {
  await t?.close();
});

const ZERO = {
  sent: 0,
  delivered: 0,
  opened: 0,
  clicked: 0,
  replied: 0,
  positive_replies: 0,
  bounces: 0,
  unsubscribes: 0,
  hot_leads: 0,
  escalations_opened: 0,
  escalations_resolved: 0,
};

describe('get_kpis', () => {
  it('counts a seeded history by local day, with rates', async () => {
    const kpis = await getKpis(await ctx(paris), { from: '2026-03-01', to: '2026-03-03' });
    expect(kpis).toMatchObject({ from: '2026-03-01', to: '2026-03-03', timezone: 'Europe/Paris', granularity: 'day' });
    expect(kpis.series).toEqual([
      {
        date: '2026-03-01',
        ...ZERO,
        sent: 4,
        delivered: 2,
        opened: 1,
        clicked: 1,
        replied: 2,
        positive_replies: 2,
        bounces: 2,
        unsubscribes: 1,
        hot_leads: 1,
        escalations_opened: 1,
      },
      { date: '2026-03-02', ...ZERO, opened: 1, unsubscribes: 1, escalations_resolved: 1 },
      { date: '2026-03-03', ...ZERO },
    ]);
    expect(kpis.totals).toEqual({
      sent: 4,
      delivered: 2,
      opened: 2,
      clicked: 1,
      replied: 2,
      positive_replies: 2,
      bounces: 2,
      unsubscribes: 2,
      hot_leads: 1,
      escalations_opened: 1,
      escalations_resolved: 1,
      drafts_awaiting_approval: 1,
    });
    expect(kpis.rates).toEqual({
      open_rate: 0.5,
      click_rate: 0.25,
      reply_rate: 0.5,
      positive_rate: 1,
      bounce_rate: 0.5,
    });
  });

  it('puts an event at 23:30 UTC on the next day in Paris and on its own day in UTC', async () => {
    const p = await getKpis(await ctx(paris), { from: '2026-03-02', to: '2026-03-02' });
    expect(p.series.map((b) => b.opened)).toEqual([1]);
    const u = await getKpis(await ctx(utc), { from: '2026-03-01', to: '2026-03-02' });
    expect(u.timezone).toBe('UTC');
    expect(u.series.map((b) => [b.date, b.sent])).toEqual([
      ['2026-03-01', 1],
      ['2026-03-02', 0],
    ]);
  });

  it('keeps local days across the switch to summer time', async () => {
    const kpis = await getKpis(await ctx(paris), { from: '2026-03-28', to: '2026-03-30' });
    expect(kpis.series.map((b) => [b.date, b.sent])).toEqual([
      ['2026-03-28', 0],
      ['2026-03-29', 2],
      ['2026-03-30', 1],
    ]);
  });

  it('leaves test traffic out unless asked', async () => {
    const range = { from: '2026-03-01', to: '2026-03-03' };
    expect((await getKpis(await ctx(paris), range)).totals.sent).toBe(4);
    const withTest = await getKpis(await ctx(paris), { ...range, includeTest: true });
    expect(withTest.include_test).toBe(true);
    expect(withTest.totals.sent).toBe(5);
    expect(withTest.series[1]!.sent).toBe(1);
    expect((await getKpis(await ctx(testWs), range)).totals.sent).toBe(0);
    expect((await getKpis(await ctx(testWs), { ...range, includeTest: true })).totals.sent).toBe(1);
  });

  it('answers zeros for an empty workspace, every day present', async () => {
    const kpis = await getKpis(await ctx(empty), {});
    expect(kpis.to).toBe('2026-03-03'); // the clock says 23:30 UTC: still 3 March in UTC
    expect(kpis.from).toBe('2026-02-02');
    expect(kpis.series).toHaveLength(30);
    for (const b of kpis.series) expect(b).toEqual({ date: b.date, ...ZERO });
    expect(kpis.totals).toEqual({ ...ZERO, drafts_awaiting_approval: 0 });
    expect(kpis.rates).toEqual({ open_rate: 0, click_rate: 0, reply_rate: 0, positive_rate: 0, bounce_rate: 0 });
  });

  it('defaults to the last 30 days up to today in the workspace time zone', async () => {
    const kpis = await getKpis(await ctx(paris), {});
    expect(kpis.to).toBe('2026-03-04'); // 23:30 UTC on 3 March is 4 March in Paris
    expect(kpis.from).toBe('2026-02-03');
    expect(kpis.series).toHaveLength(30);
    expect(kpis.totals.sent).toBe(5); // the 4 of 1 March and d9, 00:30 on 4 March
  });

  it('buckets by week (from Monday) and by month, clipped to the range', async () => {
    const weeks = await getKpis(await ctx(paris), { from: '2026-03-01', to: '2026-03-31', granularity: 'week' });
    expect(weeks.series.map((b) => [b.date, b.sent])).toEqual([
      ['2026-03-01', 4], // Sunday: the week began on Monday 23 February
      ['2026-03-02', 1],
      ['2026-03-09', 0],
      ['2026-03-16', 0],
      ['2026-03-23', 2],
      ['2026-03-30', 1],
    ]);
    const months = await getKpis(await ctx(paris), { from: '2026-02-15', to: '2026-03-31', granularity: 'month' });
    expect(months.series.map((b) => [b.date, b.sent, b.opened])).toEqual([
      ['2026-02-15', 0, 0],
      ['2026-03-01', 8, 2],
    ]);
    expect(months.totals.sent).toBe(8);
  });

  it('refuses a bad range with invalid_request', async () => {
    const c = await ctx(paris);
    const fails = (input: Parameters<typeof getKpis>[1], param: string) =>
      expect(getKpis(c, input)).rejects.toMatchObject({ code: 'invalid_request', details: { param } });
    await fails({ from: '2026-03-05', to: '2026-03-01' }, 'from');
    await fails({ from: '2025-01-01', to: '2026-01-02' }, 'from'); // 367 days
    await fails({ from: '2026-02-30', to: '2026-03-01' }, 'from');
    await fails({ to: '2026-13-01' }, 'to');
    await fails({ from: '2026-03-05' }, 'from'); // after today (4 March)
    expect((await getKpis(c, { from: '2025-03-01', to: '2026-03-01' })).series).toHaveLength(366);
  });
});

describe('get_kpis through the transports', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startHttpServer(app, { port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers over REST and MCP, and refuses a bad range', async () => {
    const url = `${server.url}${REST_PREFIX}/kpis?workspace_id=${paris.id}&from=2026-03-01&to=2026-03-03&include_test=true`;
    const res = await fetch(url, { headers: { Authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.kpis.totals).toMatchObject({ sent: 5, opened: 2, replied: 2, drafts_awaiting_approval: 1 });
    expect(body.kpis.series).toHaveLength(3);

    const bad = await fetch(`${server.url}${REST_PREFIX}/kpis?workspace_id=${paris.id}&from=2026-03-05&to=2026-03-01`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatchObject({ code: 'invalid_request', param: 'from' });

    const client = await connectHttp(server.url, key);
    try {
      const out = await callOk(client, 'get_kpis', {
        workspace_id: paris.slug,
        from: '2026-03-01',
        to: '2026-03-31',
        granularity: 'week',
      });
      expect(out.kpis.totals.sent).toBe(8);
      expect(out.kpis.series).toHaveLength(6);
      expect(await callErr(client, 'get_kpis', { workspace_id: paris.id, from: '1 March' })).toMatch(
        /^invalid_request/,
      );
    } finally {
      await client.close();
    }
  });

  it('needs kpis:read', async () => {
    const org = paris.organization_id;
    const readOnlyKey = await addKey(app, org, ['prospects:read'], 'all');
    const res = await fetch(`${server.url}${REST_PREFIX}/kpis?workspace_id=${paris.id}`, {
      headers: { Authorization: `Bearer ${readOnlyKey}` },
    });
    expect(res.status).toBe(403);
    const kpisKey = await addKey(app, org, ['kpis:read'], [paris]);
    const ok = await fetch(`${server.url}${REST_PREFIX}/kpis`, { headers: { Authorization: `Bearer ${kpisKey}` } });
    expect(ok.status).toBe(200);
  });
});
