import { type Kysely, sql } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import { MACHINE_LABELS } from '../replies/index.js';
import { COUNT_KEYS, type Granularity, type KpiBucket } from './kpis.model.js';

export interface KpiQuery {
  workspaceId: string;
  timezone: string;
  /** Inclusive local days, YYYY-MM-DD. */
  from: string;
  to: string;
  granularity: Granularity;
  includeTest: boolean;
}

const POSITIVE_LABELS = ['interested', 'meeting_request'];
const reply = (labels: readonly string[]) => sql.join(labels.map((l) => `reply:${l}`));

/**
 * The per-bucket counts of one workspace, read from the rollup kpi_counts (written by a trigger on
 * events; see the kpi_rollup migration) instead of the events: one range scan of its primary key
 * over the range's 15-minute buckets, whatever the number of events. Days are local to the
 * workspace: the range ends are local midnights turned into instants by PostgreSQL's zone rules (DST
 * included), and each bucket falls on the local date of its start (every local midnight is a
 * 15-minute UTC boundary). `since < lo` keeps only an email's first open (click) in the range.
 * Replies are counted on the day of their first classification under their current label.
 */
export async function kpiSeries(db: Kysely<Database>, q: KpiQuery): Promise<KpiBucket[]> {
  const tz = q.timezone;
  const lo = sql`(${q.from}::date::timestamp at time zone ${tz})`;
  const hi = sql`((${q.to}::date + 1)::timestamp at time zone ${tz})`;
  const n = (metrics: ReturnType<typeof sql.join>) =>
    sql`sum(coalesce(c.n, 0)) filter (where c.metric in (${metrics}))`;
  const result = await sql<Record<string, string | number>>`
    with counted as (
      select (bucket at time zone ${tz})::date as day, metric, sum(n) as n
      from kpi_counts
      where workspace_id = ${q.workspaceId} and (${q.includeTest}::boolean or not is_test)
        and bucket >= ${lo} and bucket < ${hi} and since < ${lo}
      group by 1, 2
    ), days as (
      select d::date as day from generate_series(${q.from}::date, ${q.to}::date, interval '1 day') as d
    )
    select to_char(greatest(date_trunc(${q.granularity}, days.day::timestamp)::date, ${q.from}::date), 'YYYY-MM-DD') as date,
      coalesce(${n(sql.join(['sent']))}, 0)::int as sent,
      coalesce(${n(sql.join(['delivered']))}, 0)::int as delivered,
      coalesce(${n(sql.join(['opened']))}, 0)::int as opened,
      coalesce(${n(sql.join(['clicked']))}, 0)::int as clicked,
      coalesce(sum(coalesce(c.n, 0)) filter (where c.metric like 'reply:%' and c.metric not in (${reply([...MACHINE_LABELS])})), 0)::int as replied,
      coalesce(${n(reply(POSITIVE_LABELS))}, 0)::int as positive_replies,
      coalesce(${n(sql.join(['bounces', 'reply:bounce']))}, 0)::int as bounces,
      coalesce(${n(sql.join(['unsubscribes']))}, 0)::int as unsubscribes,
      coalesce(${n(sql.join(['hot_leads']))}, 0)::int as hot_leads,
      coalesce(${n(sql.join(['escalations_opened']))}, 0)::int as escalations_opened,
      coalesce(${n(sql.join(['escalations_resolved']))}, 0)::int as escalations_resolved
    from days left join counted c on c.day = days.day
    group by 1
    order by 1`.execute(db);
  return result.rows.map((row) => {
    const bucket = { date: String(row.date) } as KpiBucket;
    for (const key of COUNT_KEYS) bucket[key] = Number(row[key]);
    return bucket;
  });
}

/** Drafts waiting for a person's approval now. */
export async function draftsAwaitingApproval(db: Kysely<Database>, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom('drafts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'pending_approval')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
