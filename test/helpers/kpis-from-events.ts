import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/adapters/db/schema.js';
import { COUNT_KEYS, type KpiBucket } from '../../src/domains/kpis/kpis.model.js';
import type { KpiQuery } from '../../src/domains/kpis/kpis.queries.js';
import { MACHINE_LABELS } from '../../src/domains/replies/index.js';

const POSITIVE_LABELS = ['interested', 'meeting_request'];
/** Suppression sources that mean the person asked to stop (not an API add, a bounce or a complaint). */
const UNSUBSCRIBE_SOURCES = ['unsubscribe', 'reply'];

/**
 * get_kpis's series counted straight from the events, as it was before the rollup (kpi_counts): the
 * reference the rollup is tested against (test/domains/kpis/rollup.test.ts) and the baseline of
 * bench/kpis.ts. The per-bucket counts of one workspace, in one statement. Each part reads only its event types
 * through events_kpis_idx (workspace_id, type, created_at) INCLUDE (is_test), so plain counts are
 * index-only scans and nothing outside the range or of another type is touched. Days are local to
 * the workspace: the range ends are local midnights turned into instants by PostgreSQL's zone
 * rules (DST included), and each event falls on the local date of its created_at.
 */
export async function kpiSeriesFromEvents(db: Kysely<Database>, q: KpiQuery): Promise<KpiBucket[]> {
  const tz = q.timezone;
  const lo = sql`(${q.from}::date::timestamp at time zone ${tz})`;
  const hi = sql`((${q.to}::date + 1)::timestamp at time zone ${tz})`;
  const scope = sql`workspace_id = ${q.workspaceId} and (${q.includeTest}::boolean or not is_test)`;
  const day = (col: string) => sql`(${sql.ref(col)} at time zone ${tz})::date`;
  const result = await sql<Record<string, string | number>>`
    with counted as (
      -- One row per event, no event data read: an index-only scan.
      select ${day('created_at')} as day,
        count(*) filter (where type = 'email.sent') as sent,
        count(*) filter (where type = 'email.delivered') as delivered,
        count(*) filter (where type = 'email.bounced') as bounces,
        count(*) filter (where type = 'hot_lead.detected') as hot_leads,
        count(*) filter (where type = 'escalation.resolved') as escalations_resolved
      from events
      where ${scope}
        and type in ('email.sent', 'email.delivered', 'email.bounced', 'hot_lead.detected', 'escalation.resolved')
        and created_at >= ${lo} and created_at < ${hi}
      group by 1
    ), flagged as (
      select ${day('created_at')} as day,
        count(*) filter (where type = 'suppression.added' and data->>'source' in (${sql.join(UNSUBSCRIBE_SOURCES)})) as unsubscribes,
        count(*) filter (where type = 'conversation.escalated' and data->>'repeated' = 'false') as escalations_opened
      from events
      where ${scope} and type in ('suppression.added', 'conversation.escalated')
        and created_at >= ${lo} and created_at < ${hi}
      group by 1
    ), first_touch as (
      -- A tracking pixel fires on every open: an email counts once, on its first open in the range.
      select type, min(created_at) as at
      from events
      where ${scope} and type in ('email.opened', 'email.clicked')
        and created_at >= ${lo} and created_at < ${hi}
      group by type, data->>'draft_id'
    ), touched as (
      select ${day('at')} as day,
        count(*) filter (where type = 'email.opened') as opened,
        count(*) filter (where type = 'email.clicked') as clicked
      from first_touch group by 1
    ), labelled as (
      -- A reply is dated by its first classification (made when it arrived, corrected = false) and
      -- counted under its latest one: a correction (reclassify_reply) changes the label, not the day.
      -- Corrections come after the original, so scanning from the start of the range finds them all.
      select min(created_at) filter (where data->>'corrected' = 'false') as at,
        (array_agg(data->>'label' order by created_at desc, id desc))[1] as label
      from events
      where ${scope} and type = 'reply.classified' and created_at >= ${lo}
      group by data->>'reply_id'
    ), replied as (
      select ${day('at')} as day,
        count(*) filter (where label not in (${sql.join([...MACHINE_LABELS])})) as replied,
        count(*) filter (where label in (${sql.join(POSITIVE_LABELS)})) as positive_replies,
        count(*) filter (where label = 'bounce') as reply_bounces
      from labelled where at < ${hi}
      group by 1
    ), days as (
      select d::date as day from generate_series(${q.from}::date, ${q.to}::date, interval '1 day') as d
    )
    select to_char(greatest(date_trunc(${q.granularity}, days.day::timestamp)::date, ${q.from}::date), 'YYYY-MM-DD') as date,
      sum(coalesce(c.sent, 0))::int as sent,
      sum(coalesce(c.delivered, 0))::int as delivered,
      sum(coalesce(t.opened, 0))::int as opened,
      sum(coalesce(t.clicked, 0))::int as clicked,
      sum(coalesce(r.replied, 0))::int as replied,
      sum(coalesce(r.positive_replies, 0))::int as positive_replies,
      sum(coalesce(c.bounces, 0) + coalesce(r.reply_bounces, 0))::int as bounces,
      sum(coalesce(f.unsubscribes, 0))::int as unsubscribes,
      sum(coalesce(c.hot_leads, 0))::int as hot_leads,
      sum(coalesce(f.escalations_opened, 0))::int as escalations_opened,
      sum(coalesce(c.escalations_resolved, 0))::int as escalations_resolved
    from days
      left join counted c on c.day = days.day
      left join flagged f on f.day = days.day
      left join touched t on t.day = days.day
      left join replied r on r.day = days.day
    group by 1
    order by 1`.execute(db);
  return result.rows.map((row) => {
    const bucket = { date: String(row.date) } as KpiBucket;
    for (const key of COUNT_KEYS) bucket[key] = Number(row[key]);
    return bucket;
  });
}
