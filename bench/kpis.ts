/**
 * get_kpis on 1 million events: the rollup (kpi_counts, written by a trigger on events) against the
 * query it replaced (counting the events, kept in test/helpers/kpis-from-events.ts), side by side in
 * the same run, p50/p99 for 7-, 30- and 90-day ranges, on PGlite and on PostgreSQL; and the write
 * side: events appended per second (appendEvent, one transaction each) with the trigger on and off,
 * alternating. Seeds a fresh database (dropped at the end) with generate_series, trigger off, then
 * the migration's backfill (timed). Run with `npm run bench:kpis`; BENCH_EVENTS (1000000),
 * BENCH_RUNS (200 for the rollup; the old query gets BENCH_BASELINE_RUNS, 20), BENCH_DB (both,
 * pglite or postgres), BENCH_APPENDS (2000 per batch), and BENCH_KEEP=1 keeps the PostgreSQL database.
 */
import { sql } from 'kysely';
import { loadavg } from 'node:os';
import pino from 'pino';
import { backfill } from '../src/adapters/db/migrations/2026_12_05_1500_kpi_rollup.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/adapters/db/connect.js';
import { migrateToLatest } from '../src/adapters/db/migrate.js';
import { getKpis } from '../src/domains/kpis/index.js';
import { draftsAwaitingApproval } from '../src/domains/kpis/kpis.queries.js';
import { insertKey } from '../src/domains/tenancy/keys.service.js';
import { insertWorkspace } from '../src/domains/tenancy/workspaces.service.js';
import type { RequestContext } from '../src/kernel/context.js';
import { newId } from '../src/kernel/ids.js';
import { appendEvent, type EventSource, type EventType } from '../src/kernel/outbox.js';
import { kpiSeriesFromEvents } from '../test/helpers/kpis-from-events.js';
import { startHttpServer } from '../src/transport/http/server.js';
import { backendPids, createDatabase } from './lib/postgres.js';
import { processCpuSeconds } from './lib/processes.js';
import { fmt, markdownTable, quantile } from './lib/stats.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const BASELINE_RUNS = Number(process.env.BENCH_BASELINE_RUNS ?? 20);
const APPENDS = Number(process.env.BENCH_APPENDS ?? 2000);
const DBS = (process.env.BENCH_DB ?? 'both') === 'both' ? ['pglite', 'postgres'] : [process.env.BENCH_DB ?? 'both'];
const log = pino({ level: 'silent' });

// The mix of one busy outreach workspace over a year: per 1000 events, how many of each type.
// Types get_kpis does not read (drafts, prospects, replies received) are in the mix too: the index
// must skip them. Opens and clicks name drafts that repeat (pixels fire more than once).
const MIX: [string, number][] = [
  ['draft.created', 120],
  ['draft.approved', 110],
  ['prospect.created', 40],
  ['email.sent', 200],
  ['email.delivered', 190],
  ['email.opened', 180],
  ['email.clicked', 50],
  ['email.bounced', 10],
  ['reply.received', 30],
  ['reply.classified', 35],
  ['hot_lead.detected', 5],
  ['conversation.escalated', 10],
  ['escalation.resolved', 8],
  ['suppression.added', 12],
];

async function seed(db: RequestContext['db'], workspaceId: string, otherId: string, now: Date) {
  const cases: string[] = [];
  let upTo = 0;
  for (const [type, n] of MIX) {
    upTo += n;
    cases.push(`when g % 1000 < ${upTo} then '${type}'`);
  }
  if (upTo !== 1000) throw new Error(`MIX sums to ${upTo}, not 1000`);
  const labels = `(array['interested','meeting_request','question','not_now','not_interested','unsubscribe','out_of_office','referral','bounce','auto_reply','other'])`;
  // 1M events of the bench workspace spread uniformly over the 365 days before now, and 10% more in
  // another workspace (noise the workspace filter must skip).
  for (const [ws, count, prefix] of [
    [workspaceId, EVENTS, 'evt_b'],
    [otherId, Math.round(EVENTS / 10), 'evt_o'],
  ] as const) {
    await sql`
      insert into events (workspace_id, id, type, prospect_id, data, actor_type, actor_id, is_test, created_at)
      select ${ws}, ${prefix} || lpad(g::text, 9, '0'), type,  null,
        case
          when type like 'email.%' then jsonb_build_object('draft_id', 'drf_' || (g / 3 + (g % 7) * 997) % ${Math.ceil(count / 4)}, 'provider', 'smtp')
          when type = 'reply.classified' then jsonb_build_object('reply_id', 'msg_' || t,
            'label', ${sql.raw(labels)}[1 + g % 11], 'confidence', 0.9, 'hot', false, 'return_date', null,
            'model', 'offline', 'corrected', g % 9 = 0)
          when type = 'conversation.escalated' then jsonb_build_object('escalation_id', 'esc_' || g, 'repeated', g % 5 = 0)
          when type = 'suppression.added' then jsonb_build_object('value', 'p' || g || '@example.com', 'source', (array['unsubscribe','reply','api','bounce'])[1 + g % 4])
          else jsonb_build_object('n', g)
        end,
        'system', 'bench', g % 50 = 0,
        ${now}::timestamptz - (t % 365) * interval '1 day' - (t % 86399) * interval '1 second' + (t - g) * interval '3 hours'
      from (
        -- A correction (1 in 9 classifications) names the reply classified by the next event and
        -- comes 3 hours after it; every other classification is a reply's only original one.
        select g, type, case when type = 'reply.classified' and g % 9 = 0 then g + 1 else g end as t
        from (select g, case ${sql.raw(cases.join(' '))} end as type from generate_series(1, ${count}::int) as g) s
      ) s`.execute(db);
  }
  await sql`vacuum analyze events`.execute(db);
}

interface Row {
  what: string;
  runs: number;
  p50: number;
  p99: number;
  cpuMs: number;
}

/**
 * CPU seconds used so far by this process and the database's server processes (none for PGlite,
 * which runs in this process). On a shared machine wall-clock latency mostly measures the wait for
 * a core; CPU time per call is what the call costs, and close to its latency on an idle machine.
 */
let cpuSeconds: () => Promise<number> = async () => 0;

async function time(what: string, runs: number, fn: () => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < Math.min(5, runs); i++) await fn(); // warm the cache and the plan
  const ms: number[] = [];
  const cpu0 = await cpuSeconds();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  const cpuMs = (((await cpuSeconds()) - cpu0) * 1000) / runs;
  ms.sort((a, b) => a - b);
  return { what, runs, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), cpuMs };
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

async function openTarget(kind: string) {
  if (kind === 'pglite') {
    const handle = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    return { handle, url: undefined, dbName: undefined, drop: async () => {}, name: 'PGlite (in memory)' };
  }
  const database = await createDatabase();
  const handle = await openDatabase({ kind: 'postgres', url: database.url, poolSize: 10 });
  return {
    handle,
    url: database.url,
    dbName: database.name,
    name: 'PostgreSQL',
    drop: async () => {
      if (process.env.BENCH_KEEP === '1') console.log(`kept database ${database.name}`);
      else await database.drop();
    },
  };
}

// The write side's mix: the KPI types the trigger counts, and others it skips (its WHEN clause).
const APPEND_MIX: EventType[] = [
  'email.sent',
  'email.delivered',
  'email.opened',
  'email.opened',
  'email.clicked',
  'draft.created',
  'draft.approved',
  'reply.classified',
];

/** Appends `count` events through appendEvent, one transaction each, `concurrency` at a time; events/s. */
async function appendRate(db: RequestContext['db'], source: EventSource, count: number, concurrency: number) {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const type = APPEND_MIX[i % APPEND_MIX.length] as EventType;
      const draft = `drf_w${i % 500}`;
      await db.transaction().execute(async (trx) => {
        if (type === 'reply.classified') {
          await appendEvent(trx, source, type, {
            reply_id: `msg_w${i % 300}`,
            label: i % 3 === 0 ? 'interested' : 'question',
            confidence: 0.9,
            hot: false,
            return_date: null,
            model: 'offline',
            corrected: i % 600 >= 300,
          });
        } else if (type === 'email.clicked') {
          await appendEvent(trx, source, type, { draft_id: draft, url: 'https://example.com' });
        } else if (type === 'draft.created') {
          await appendEvent(trx, source, type, { draft_id: draft, template_key: 'k', personalized: false });
        } else {
          await appendEvent(trx, source, type as 'email.sent', { draft_id: draft, provider: 'smtp' });
        }
      });
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / ((performance.now() - t0) / 1000);
}

async function benchOne(kind: string): Promise<string[][]> {
  const target = await openTarget(kind);
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  let server: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  const out: string[][] = [];
  const row = (what: string, r: Row) =>
    out.push([target.name, what, String(r.runs), fmt(r.p50), fmt(r.p99), fmt(r.cpuMs)]);
  cpuSeconds = async () => {
    const own = process.cpuUsage();
    let total = (own.user + own.system) / 1e6;
    if (target.dbName) {
      for (const pid of await backendPids(target.dbName)) {
        try {
          total += processCpuSeconds(pid);
        } catch {} // a backend that ended meanwhile
      }
    }
    return total;
  };
  try {
    await migrateToLatest(target.handle.db);
    const env = {
      HOST: '127.0.0.1',
      PORT: '0',
      SWITCHBOARD_RATE_LIMITS: 'off',
      ...(target.url ? { DATABASE_URL: target.url } : {}),
    };
    app = await createApp(loadConfig(env), log, { database: target.handle });
    const db = app.db;
    const now = app.clock.now();
    const orgId = newId('org');
    await db.insertInto('organizations').values({ id: orgId, name: 'Bench', created_at: now }).execute();
    const ws = await insertWorkspace(db, app.clock, orgId, { name: 'bench', slug: 'bench', is_test: false });
    const other = await insertWorkspace(db, app.clock, orgId, { name: 'other', slug: 'other', is_test: false });
    const writes = await insertWorkspace(db, app.clock, orgId, { name: 'writes', slug: 'writes', is_test: false });
    await db.updateTable('workspaces').set({ timezone: 'Europe/Paris' }).where('id', '=', ws.id).execute();
    const workspace = { ...ws, timezone: 'Europe/Paris' };
    const key = await insertKey(db, orgId, now, {
      name: 'bench',
      scopes: ['kpis:read'],
      allWorkspaces: true,
      workspaceIds: [],
      expiresAt: null,
    });

    // Seeded with the trigger off and counted by the migration's backfill, as an upgrade would.
    let t0 = performance.now();
    await sql`alter table events disable trigger events_kpi_rollup`.execute(db);
    await seed(db, ws.id, other.id, now);
    await sql`alter table events enable trigger events_kpi_rollup`.execute(db);
    const seeded = await sql<{ n: string }>`select count(*) as n from events`.execute(db);
    console.log(
      `${target.name}: seeded ${seeded.rows[0]!.n} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    t0 = performance.now();
    await db.transaction().execute((trx) => backfill(trx));
    await sql`vacuum analyze kpi_counts`.execute(db);
    const rolled = await sql<{ n: string }>`select count(*) as n from kpi_counts`.execute(db);
    console.log(
      `${target.name}: backfill wrote ${rolled.rows[0]!.n} kpi_counts rows in ${((performance.now() - t0) / 1000).toFixed(1)} s; load ${load()}`,
    );

    const ctx: RequestContext = { ...app, workspace, log, requestId: 'bench', actor: { type: 'system', id: 'bench' } };
    const range = (days: number) => ({ from: shiftDays(now, -(days - 1)), to: shiftDays(now, 0) });
    const query = (days: number) => ({
      workspaceId: ws.id,
      timezone: 'Europe/Paris',
      granularity: 'day' as const,
      includeTest: false,
      ...range(days),
    });
    // The old get_kpis: the series counted from the events, and the drafts count, concurrently.
    const old = (days: number) => () =>
      Promise.all([kpiSeriesFromEvents(db, query(days)), draftsAwaitingApproval(db, ws.id)]);
    const rollup = (days: number) => () => getKpis(ctx, range(days));

    for (const days of [7, 30, 90]) {
      const [fromEvents] = await old(days)();
      const answer = await rollup(days)();
      const same = JSON.stringify(fromEvents) === JSON.stringify(answer.series);
      const things = Object.values(answer.totals).reduce((a, b) => a + b, 0);
      console.log(
        `${target.name}, ${days} days: ${things} things counted; rollup and events ${same ? 'agree' : 'DIFFER'}`,
      );
      if (!same) {
        const diff = answer.series.flatMap((b, i) =>
          Object.entries(b)
            .filter(([k, v]) => (fromEvents[i] as Record<string, unknown>)[k] !== v)
            .map(([k, v]) => `${b.date} ${k}: rollup ${v}, events ${(fromEvents[i] as Record<string, unknown>)[k]}`),
        );
        throw new Error(`rollup and events differ on ${days} days:\n${diff.join('\n')}`);
      }
    }
    for (const days of [7, 30, 90]) {
      // Interleaved per range, so both see the same load.
      row(`get_kpis from the rollup, ${days} days`, await time('', RUNS, rollup(days)));
      row(`baseline: counted from the events, ${days} days`, await time('', BASELINE_RUNS, old(days)));
    }
    server = await startHttpServer(app, { port: 0 });
    const url = `${server.url}/api/v1/kpis?workspace_id=bench`;
    const headers = { Authorization: `Bearer ${key.secret}` };
    row(
      'GET /api/v1/kpis (rollup), 30 days, REST',
      await time('', RUNS, async () => {
        const res = await fetch(url, { headers });
        if (res.status !== 200) throw new Error(`GET /api/v1/kpis: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }),
    );

    // The write side: batches alternate trigger on / off so both see the same load.
    const source: EventSource = { workspace: writes, actor: { type: 'system', id: 'bench' }, clock: app.clock };
    for (const concurrency of kind === 'pglite' ? [1] : [1, 8]) {
      const rates: Record<'on' | 'off', number[]> = { on: [], off: [] };
      await appendRate(db, source, 200, concurrency); // warm-up
      for (let round = 0; round < 3; round++) {
        for (const state of round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
          await sql
            .raw(`alter table events ${state === 'on' ? 'enable' : 'disable'} trigger events_kpi_rollup`)
            .execute(db);
          rates[state].push(await appendRate(db, source, APPENDS, concurrency));
        }
      }
      await sql`alter table events enable trigger events_kpi_rollup`.execute(db);
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
      out.push([
        target.name,
        `appendEvent, c=${concurrency}, trigger on: events/s (median of 3 × ${APPENDS})`,
        '3',
        fmt(med(rates.on), 0),
        rates.on.map((x) => x.toFixed(0)).join(' / '),
        '—',
      ]);
      out.push([
        target.name,
        `appendEvent, c=${concurrency}, trigger off: events/s (median of 3 × ${APPENDS})`,
        '3',
        fmt(med(rates.off), 0),
        rates.off.map((x) => x.toFixed(0)).join(' / '),
        '—',
      ]);
    }
    console.log(`${target.name}: done, load ${load()}`);
    return out;
  } finally {
    await server?.close();
    await app?.close();
    await target.drop();
  }
}

const HEADER = ['database', 'measure', 'runs', 'p50 ms (events/s)', 'p99 ms (each batch)', 'CPU ms per call'];

async function main() {
  console.log(`load average at start: ${load()}`);
  const rows: string[][] = [];
  for (const kind of DBS) {
    const mine = await benchOne(kind);
    console.log(markdownTable(HEADER, mine)); // each database's table as soon as it is done
    rows.push(...mine);
  }
  console.log(`load average at end: ${load()}`);
  if (DBS.length > 1) console.log(markdownTable(HEADER, rows));
}

const shiftDays = (now: Date, days: number) => {
  const d = new Date(now.getTime() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(d);
};

await main();
