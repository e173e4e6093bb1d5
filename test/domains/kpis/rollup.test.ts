import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../../src/adapters/db/migrations/2026_12_05_1500_kpi_rollup.js';
import type { App } from '../../../src/app.js';
import { GRANULARITIES, type Granularity } from '../../../src/domains/kpis/kpis.model.js';
import { type KpiQuery, kpiSeries } from '../../../src/domains/kpis/kpis.queries.js';
import { getKpis } from '../../../src/domains/kpis/index.js';
import type { Workspace } from '../../../src/kernel/context.js';
import { newId } from '../../../src/kernel/ids.js';
import { type TestApp, addKey, addWorkspace, contextFor, createOrg, createTestApp } from '../../helpers/app.js';
import { kpiSeriesFromEvents } from '../../helpers/kpis-from-events.js';

// Property: on random event histories, in random time zones (quarter- and half-hour offsets, DST
// switches of an hour and of half an hour), over random ranges, get_kpis read from the rollup
// (kpi_counts, written by the events trigger) answers exactly what counting the events answers.
// Events are inserted in random order and concurrently, so opens and reply corrections arrive out of
// order. Each run draws new histories; the seed is printed on failure (KPI_SEED=n replays one).

const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'America/St_Johns', // -3:30 / -2:30
  'Asia/Kolkata', // +5:30
  'Asia/Kathmandu', // +5:45
  'Australia/Eucla', // +8:45
  'Australia/Lord_Howe', // +10:30 / +11, a half-hour DST switch
  'Pacific/Chatham', // +12:45 / +13:45
  'Pacific/Kiritimati', // +14
  'Pacific/Pago_Pago', // -11
  'Asia/Tehran', // +3:30
];
// Windows around DST switches in 2026 (EU 29 March, US 8 March, southern hemisphere 5 April and 4 October).
const WINDOWS = ['2026-03-05', '2026-03-26', '2026-04-02', '2026-10-01', '2026-10-22'];
const DAYS = 10;
const LABELS = [
  'interested',
  'meeting_request',
  'question',
  'not_now',
  'not_interested',
  'unsubscribe',
  'out_of_office',
  'referral',
  'bounce',
  'auto_reply',
  'other',
];

/** mulberry32: a small seeded generator, so a failing history can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

interface Ev {
  type: string;
  at: Date;
  data: Record<string, unknown>;
  isTest: boolean;
}

/**
 * A random history of one workspace over DAYS days from `start`. Times are random seconds, and one in
 * four sits on or next to a local midnight of the zone (given in `midnights`), where days split.
 * An email's opens, clicks and a reply's classifications share one is_test (they belong to one
 * workspace's traffic); a reply has one original classification and corrections after it.
 */
function history(r: Rng, start: Date, midnights: Date[]): Ev[] {
  const span = DAYS * 86_400;
  const time = () => {
    if (r.next() < 0.25) {
      const m = r.pick(midnights).getTime();
      return new Date(m + r.pick([-900, -1, 0, 1, 899]) * 1000);
    }
    return new Date(start.getTime() + r.int(span) * 1000);
  };
  const events: Ev[] = [];
  const drafts = Array.from({ length: 6 }, (_, i) => ({ id: `d${i}`, isTest: r.next() < 0.2 }));
  const n = 60 + r.int(120);
  for (let i = 0; i < n; i++) {
    const isTest = r.next() < 0.2;
    const draft = r.pick(drafts);
    const kind = r.int(11);
    if (kind === 0) events.push({ type: 'email.sent', at: time(), data: { draft_id: draft.id }, isTest });
    else if (kind === 1) events.push({ type: 'email.delivered', at: time(), data: { draft_id: draft.id }, isTest });
    else if (kind === 2) events.push({ type: 'email.bounced', at: time(), data: { draft_id: draft.id }, isTest });
    else if (kind <= 4) {
      // Opens and clicks of a few emails, several per email, some in the same 15 minutes.
      const type = r.next() < 0.7 ? 'email.opened' : 'email.clicked';
      const at = time();
      events.push({ type, at, data: { draft_id: draft.id }, isTest: draft.isTest });
      if (r.next() < 0.3) {
        const again = new Date(at.getTime() + r.int(1200) * 1000);
        events.push({ type, at: again, data: { draft_id: draft.id }, isTest: draft.isTest });
      }
    } else if (kind === 5) events.push({ type: 'hot_lead.detected', at: time(), data: { reply_id: 'r' }, isTest });
    else if (kind === 6)
      events.push({ type: 'conversation.escalated', at: time(), data: { repeated: r.next() < 0.3 }, isTest });
    else if (kind === 7) events.push({ type: 'escalation.resolved', at: time(), data: {}, isTest });
    else if (kind === 8) {
      const source = r.pick(['unsubscribe', 'reply', 'api', 'bounce']);
      events.push({ type: 'suppression.added', at: time(), data: { value: `p${i}@x.com`, source }, isTest });
    } else if (kind === 9) {
      const reply = `r${i}`;
      let at = time();
      events.push({ type: 'reply.classified', at, data: classified(reply, r.pick(LABELS), false), isTest });
      for (let c = r.int(3); c > 0; c--) {
        at = new Date(at.getTime() + (1 + r.int(3 * 86_400)) * 1000);
        events.push({ type: 'reply.classified', at, data: classified(reply, r.pick(LABELS), true), isTest });
      }
    } else events.push({ type: 'draft.created', at: time(), data: { draft_id: draft.id }, isTest });
  }
  // Random insertion order: the trigger must not depend on events arriving in time order.
  for (let i = events.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [events[i], events[j]] = [events[j] as Ev, events[i] as Ev];
  }
  return events;
}

const classified = (reply: string, label: string, corrected: boolean) => ({
  reply_id: reply,
  label,
  confidence: 0.9,
  hot: false,
  return_date: null,
  model: 'offline',
  corrected,
});

let t: TestApp;
let app: App;
let org: string;
let key: string;

beforeAll(async () => {
  t = await createTestApp();
  app = t.app;
  org = await createOrg(app);
  key = await addKey(app, org, ['*'], 'all');
});

afterAll(async () => {
  await t?.close();
});

async function insert(ws: Workspace, events: Ev[]) {
  // Four at a time, each its own transaction: on PostgreSQL they run concurrently.
  const queue = [...events];
  const worker = async () => {
    for (let e = queue.shift(); e; e = queue.shift()) {
      await app.db
        .insertInto('events')
        .values({
          workspace_id: ws.id,
          id: newId('evt', e.at),
          type: e.type,
          prospect_id: null,
          data: JSON.stringify(e.data),
          actor_type: 'system',
          actor_id: 'test',
          is_test: e.isTest,
          created_at: e.at,
        })
        .execute();
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The rollup's rows, summed per key and without zeros: what the trigger left, or what the backfill wrote. */
async function rollupState() {
  const counts = await sql<{ k: string }>`
    select workspace_id || ' ' || bucket::text || ' ' || metric || ' ' || is_test || ' ' || since::text || ' ' || n as k
    from kpi_counts where n <> 0 order by 1`.execute(app.db);
  const replies = await sql<{ k: string }>`
    select workspace_id || ' ' || reply_id || ' ' || is_test || ' ' || coalesce(first_at::text, '-') || ' ' || label as k
    from kpi_replies order by 1`.execute(app.db);
  const touches = await sql<{ n: string }>`select count(*) as n from kpi_touches`.execute(app.db);
  return { counts: counts.rows.map((r) => r.k), replies: replies.rows.map((r) => r.k), touches: touches.rows[0]?.n };
}

describe('the KPI rollup', () => {
  const seed = Number(process.env.KPI_SEED ?? Math.floor(Math.random() * 2 ** 31));

  it('answers what counting the events answers, on random histories, zones and ranges', async () => {
    const r = rng(seed);
    for (let round = 0; round < 6; round++) {
      const timezone = round === 0 ? 'Australia/Lord_Howe' : r.pick(ZONES);
      const first = r.pick(WINDOWS);
      const ws = await addWorkspace(app, org, `w${round}`);
      await app.db.updateTable('workspaces').set({ timezone }).where('id', '=', ws.id).execute();
      const { rows } = await sql<{ m: Date }>`
        select (d::date::timestamp at time zone ${timezone}) as m
        from generate_series(${first}::date, ${addDays(first, DAYS)}::date, interval '1 day') as d`.execute(app.db);
      const start = new Date(Date.parse(`${first}T00:00:00Z`) - 14 * 3_600_000);
      const events = history(
        r,
        start,
        rows.map((x) => new Date(x.m)),
      );
      await insert(ws, events);

      const context = `seed ${seed}, round ${round}, ${timezone}, ${events.length} events from ${first}`;
      for (let q = 0; q < 12; q++) {
        const from = addDays(first, r.int(DAYS) - 1);
        const to = addDays(from, r.next() < 0.3 ? 0 : r.int(DAYS));
        const query: KpiQuery = {
          workspaceId: ws.id,
          timezone,
          from,
          to,
          granularity: r.pick(GRANULARITIES) as Granularity,
          includeTest: r.next() < 0.5,
        };
        const expected = await kpiSeriesFromEvents(app.db, query);
        expect(await kpiSeries(app.db, query), `${context}: ${JSON.stringify(query)}`).toEqual(expected);
      }
      // And through the service, in the workspace's own zone.
      const kpis = await getKpis(await contextFor(app, key, ws.id), { from: first, to: addDays(first, DAYS - 1) });
      expect(kpis.timezone).toBe(timezone);
      const reference = await kpiSeriesFromEvents(app.db, {
        workspaceId: ws.id,
        timezone,
        from: first,
        to: addDays(first, DAYS - 1),
        granularity: 'day',
        includeTest: false,
      });
      expect(kpis.series, context).toEqual(reference);
      expect(kpis.totals.sent + kpis.totals.opened, `${context}: the history counts something`).toBeGreaterThan(0);
    }
  });

  it('leaves what the migration backfill writes from the same events', async () => {
    const before = await rollupState();
    expect(before.counts.length).toBeGreaterThan(0);
    await app.db.transaction().execute(async (trx) => {
      await sql`delete from kpi_counts`.execute(trx);
      await sql`delete from kpi_touches`.execute(trx);
      await sql`delete from kpi_replies`.execute(trx);
      await backfill(trx);
    });
    expect(await rollupState()).toEqual(before);
  });
});
