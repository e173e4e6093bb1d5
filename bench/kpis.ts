/**
 * get_kpis on 1 million events: p50/p99 through the service and over REST, with and without the
 * index it relies on (events_kpis_idx), and a plain count(*) of the same rows as a floor.
 * Seeds a fresh PostgreSQL database (dropped at the end) with generate_series.
 * Run with `npm run bench:kpis`; BENCH_EVENTS (1000000) and BENCH_RUNS (200) are the knobs, and
 * BENCH_KEEP=1 keeps the database (to EXPLAIN by hand).
 */
import { sql } from 'kysely';
import pino from 'pino';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/adapters/db/connect.js';
import { migrateToLatest } from '../src/adapters/db/migrate.js';
import { getKpis } from '../src/domains/kpis/index.js';
import type { KpiInput } from '../src/domains/kpis/kpis.service.js';
import { insertKey } from '../src/domains/tenancy/keys.service.js';
import { insertWorkspace } from '../src/domains/tenancy/workspaces.service.js';
import type { RequestContext } from '../src/kernel/context.js';
import { newId } from '../src/kernel/ids.js';
import { startHttpServer } from '../src/transport/http/server.js';
import { createDatabase } from './lib/postgres.js';
import { fmt, markdownTable, quantile } from './lib/stats.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
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
          when type = 'reply.classified' then jsonb_build_object('reply_id', 'msg_' || (g % ${Math.ceil(count / 40)}),
            'label', ${sql.raw(labels)}[1 + g % 11], 'confidence', 0.9, 'hot', false, 'return_date', null,
            'model', 'offline', 'corrected', g % 9 = 0)
          when type = 'conversation.escalated' then jsonb_build_object('escalation_id', 'esc_' || g, 'repeated', g % 5 = 0)
          when type = 'suppression.added' then jsonb_build_object('value', 'p' || g || '@example.com', 'source', (array['unsubscribe','reply','api','bounce'])[1 + g % 4])
          else jsonb_build_object('n', g)
        end,
        'system', 'bench', g % 50 = 0, ${now}::timestamptz - (g % 365) * interval '1 day' - (g % 86399) * interval '1 second'
      from (select g, case ${sql.raw(cases.join(' '))} end as type from generate_series(1, ${count}::int) as g) s`.execute(
      db,
    );
  }
  await sql`vacuum analyze events`.execute(db);
}

interface Row {
  what: string;
  runs: number;
  p50: number;
  p99: number;
  rows?: number;
}

async function time(what: string, runs: number, fn: () => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < Math.min(5, runs); i++) await fn(); // warm the cache and the plan
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { what, runs, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
}

async function main() {
  const database = await createDatabase();
  const handle = await openDatabase({ kind: 'postgres', url: database.url, poolSize: 4 });
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  let server: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  try {
    await migrateToLatest(handle.db);
    const config = { ...loadConfig({ HOST: '127.0.0.1', PORT: '0', DATABASE_URL: database.url }) };
    app = await createApp(config, log, { database: handle });
    const now = app.clock.now();
    const orgId = newId('org');
    await app.db.insertInto('organizations').values({ id: orgId, name: 'Bench', created_at: now }).execute();
    const ws = await insertWorkspace(app.db, app.clock, orgId, { name: 'bench', slug: 'bench', is_test: false });
    const other = await insertWorkspace(app.db, app.clock, orgId, { name: 'other', slug: 'other', is_test: false });
    await app.db.updateTable('workspaces').set({ timezone: 'Europe/Paris' }).where('id', '=', ws.id).execute();
    const workspace = { ...ws, timezone: 'Europe/Paris' };
    const key = await insertKey(app.db, orgId, now, {
      name: 'bench',
      scopes: ['kpis:read'],
      allWorkspaces: true,
      workspaceIds: [],
      expiresAt: null,
    });

    const t0 = performance.now();
    await seed(app.db, ws.id, other.id, now);
    const seeded = await sql<{ n: string }>`select count(*) as n from events`.execute(app.db);
    console.log(`seeded ${seeded.rows[0]!.n} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const ctx: RequestContext = { ...app, workspace, log, requestId: 'bench', actor: { type: 'system', id: 'bench' } };
    const year: KpiInput = { from: shiftDays(now, -365), to: shiftDays(now, 0) };
    const kpis = async (input: KpiInput) => getKpis(ctx, input);
    const countFloor = (days: number) => async () =>
      sql`select count(*) from events where workspace_id = ${ws.id} and created_at >= ${new Date(now.getTime() - days * 86_400_000)}`.execute(
        app!.db,
      );
    const inRange = async (input: KpiInput) => {
      const k = await kpis(input);
      return Object.values(k.totals).reduce((a, b) => a + b, 0);
    };
    console.log(`30-day answer counts ${await inRange({})} things; the 366-day one ${await inRange(year)}`);

    server = await startHttpServer(app, { port: 0 });
    const url = `${server.url}/api/v1/kpis?workspace_id=bench`;
    const headers = { Authorization: `Bearer ${key.secret}` };
    const rest = async () => {
      const res = await fetch(url, { headers });
      if (res.status !== 200) throw new Error(`GET /api/v1/kpis: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };

    const rows: Row[] = [];
    rows.push(await time('get_kpis, 30 days (default), service', RUNS, () => kpis({})));
    rows.push(await time('get_kpis, 30 days, weekly, service', RUNS, () => kpis({ granularity: 'week' })));
    rows.push(await time('get_kpis, 366 days, service', Math.max(20, RUNS / 4), () => kpis(year)));
    rows.push(await time('GET /api/v1/kpis, 30 days, REST', RUNS, rest));
    rows.push(await time('floor: count(*) of the workspace, 30 days', RUNS, countFloor(30)));
    rows.push(await time('floor: count(*) of the workspace, 366 days', Math.max(20, RUNS / 4), countFloor(366)));

    await sql`drop index events_kpis_idx`.execute(app.db);
    await sql`analyze events`.execute(app.db);
    rows.push(await time('baseline without events_kpis_idx: 30 days', 20, () => kpis({})));
    rows.push(await time('baseline without events_kpis_idx: 366 days', 10, () => kpis(year)));

    console.log(
      markdownTable(
        ['measure', 'runs', 'p50 ms', 'p99 ms'],
        rows.map((r) => [r.what, String(r.runs), fmt(r.p50), fmt(r.p99)]),
      ),
    );
  } finally {
    await server?.close();
    await app?.close();
    if (process.env.BENCH_KEEP === '1') console.log(`kept database ${database.name}`);
    else await database.drop();
  }
}

const shiftDays = (now: Date, days: number) => {
  const d = new Date(now.getTime() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(d);
};

await main();
