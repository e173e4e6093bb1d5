import { type Kysely, sql } from 'kysely';

// get_kpis on a busy workspace read every KPI event of the range (685 ms for 30 days on 1M events).
// These tables hold the same answers pre-counted, written by a trigger on events in the transaction
// that appends the event, so no code path can append an event and forget its count (the tests and
// the bench insert events by hand, too). Events are append-only; nothing here handles a deleted one.
//
// kpi_counts: how many things happened in each UTC 15-minute bucket. Every local midnight of every
//   IANA time zone in use since 1972 falls on a 15-minute UTC boundary (offsets are whole quarter
//   hours: +5:45, +12:45, -3:30, ...), so summing buckets by their local date gives exact days.
//   `since` makes first-touch counts exact: an email counts as opened in a range [lo, hi) on its
//   first open in the range, i.e. on the open whose previous open (of that email) is before lo.
//   Each open bucket is stored with its previous open's bucket in `since` ('-infinity' for the first
//   ever), and a range counts the rows with lo <= bucket < hi and since < lo. Plain counts have
//   since = '-infinity'. Reply metrics are 'reply:<label>' (the read side knows which labels count).
// kpi_touches: the distinct (email, bucket) opens and clicks, to find an open's neighbours when
//   one arrives, even out of order.
// kpi_replies: each reply's day (its first classification, corrected = false) and current label
//   (the latest classification), so a correction moves the count from one label to another.
//
// Hot rows: every email.sent of a workspace in the same 15 minutes increments one row, so
// concurrent senders queue on its lock until each commits; bench/kpis.ts measures the write cost.
// A per-email advisory lock serialises the rare concurrent opens of one email (their order matters).
const TRIGGERED = [
  'email.sent',
  'email.delivered',
  'email.bounced',
  'email.opened',
  'email.clicked',
  'reply.classified',
  'hot_lead.detected',
  'conversation.escalated',
  'escalation.resolved',
  'suppression.added',
];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table kpi_counts (
      workspace_id text not null references workspaces (id),
      bucket timestamptz not null,
      metric text not null,
      is_test boolean not null,
      since timestamptz not null default '-infinity',
      n integer not null,
      constraint kpi_counts_pkey primary key (workspace_id, bucket, metric, is_test, since)
    )`.execute(db);
  await sql`
    create table kpi_touches (
      workspace_id text not null references workspaces (id),
      type text not null,
      draft_id text not null,
      is_test boolean not null,
      bucket timestamptz not null,
      constraint kpi_touches_pkey primary key (workspace_id, type, draft_id, is_test, bucket)
    )`.execute(db);
  await sql`
    create table kpi_replies (
      workspace_id text not null references workspaces (id),
      reply_id text not null,
      is_test boolean not null,
      first_at timestamptz,
      label text not null,
      label_at timestamptz not null,
      label_event_id text not null,
      constraint kpi_replies_pkey primary key (workspace_id, reply_id, is_test)
    )`.execute(db);

  await sql`
    create function kpi_add(ws text, b timestamptz, m text, t boolean, s timestamptz, d integer) returns void
    language sql as $$
      insert into kpi_counts (workspace_id, bucket, metric, is_test, since, n) values (ws, b, m, t, s, d)
      on conflict (workspace_id, bucket, metric, is_test, since) do update set n = kpi_counts.n + excluded.n
    $$`.execute(db);

  await sql`
    create function kpi_rollup() returns trigger language plpgsql as $$
    declare
      b timestamptz := date_bin('15 minutes', new.created_at, timestamptz '2000-01-01 00:00:00+00');
      m text;
      k text;
      prev timestamptz;
      nxt timestamptz;
      r kpi_replies%rowtype;
      v_first timestamptz;
      v_label text;
    begin
      if new.type in ('email.opened', 'email.clicked') then
        m := case new.type when 'email.opened' then 'opened' else 'clicked' end;
        k := coalesce(new.data->>'draft_id', '');
        perform pg_advisory_xact_lock(hashtextextended(new.workspace_id || ' ' || new.type || ' ' || k, 0));
        insert into kpi_touches (workspace_id, type, draft_id, is_test, bucket)
        values (new.workspace_id, new.type, k, new.is_test, b) on conflict do nothing;
        if not found then return null; end if; -- another open of this email in the same 15 minutes
        select max(t.bucket) into prev from kpi_touches t where t.workspace_id = new.workspace_id
          and t.type = new.type and t.draft_id = k and t.is_test = new.is_test and t.bucket < b;
        select min(t.bucket) into nxt from kpi_touches t where t.workspace_id = new.workspace_id
          and t.type = new.type and t.draft_id = k and t.is_test = new.is_test and t.bucket > b;
        prev := coalesce(prev, '-infinity');
        perform kpi_add(new.workspace_id, b, m, new.is_test, prev, 1);
        -- Rows are touched in key order (bucket, since): prev < b < nxt.
        if nxt is not null then -- arrived out of order: the next open now follows this one
          perform kpi_add(new.workspace_id, nxt, m, new.is_test, prev, -1);
          perform kpi_add(new.workspace_id, nxt, m, new.is_test, b, 1);
        end if;
        return null;
      end if;

      if new.type = 'reply.classified' then
        k := coalesce(new.data->>'reply_id', '');
        perform pg_advisory_xact_lock(hashtextextended(new.workspace_id || ' reply ' || k, 0));
        select * into r from kpi_replies x where x.workspace_id = new.workspace_id and x.reply_id = k
          and x.is_test = new.is_test;
        -- least() skips nulls: the day is the earliest original classification.
        v_first := case when new.data->>'corrected' = 'false' then least(r.first_at, new.created_at) else r.first_at end;
        if r.reply_id is null or (new.created_at, new.id) > (r.label_at, r.label_event_id) then
          v_label := coalesce(new.data->>'label', '');
          insert into kpi_replies (workspace_id, reply_id, is_test, first_at, label, label_at, label_event_id)
          values (new.workspace_id, k, new.is_test, v_first, v_label, new.created_at, new.id)
          on conflict (workspace_id, reply_id, is_test) do update set first_at = excluded.first_at,
            label = excluded.label, label_at = excluded.label_at, label_event_id = excluded.label_event_id;
        else
          v_label := r.label;
          update kpi_replies x set first_at = v_first where x.workspace_id = new.workspace_id
            and x.reply_id = k and x.is_test = new.is_test;
        end if;
        if r.first_at is not distinct from v_first and r.label is not distinct from v_label then return null; end if;
        -- Move the reply's count: one statement, rows locked in key order (as every other path does),
        -- so two transactions moving counts between the same rows cannot deadlock.
        insert into kpi_counts (workspace_id, bucket, metric, is_test, since, n)
        select new.workspace_id, x.b, x.m, new.is_test, '-infinity', sum(x.d)
        from (values
          (date_bin('15 minutes', r.first_at, timestamptz '2000-01-01 00:00:00+00'), 'reply:' || r.label, -1),
          (date_bin('15 minutes', v_first, timestamptz '2000-01-01 00:00:00+00'), 'reply:' || v_label, 1)
        ) as x (b, m, d)
        where x.b is not null
        group by x.b, x.m order by x.b, x.m
        on conflict (workspace_id, bucket, metric, is_test, since) do update set n = kpi_counts.n + excluded.n;
        return null;
      end if;

      m := case new.type
        when 'email.sent' then 'sent'
        when 'email.delivered' then 'delivered'
        when 'email.bounced' then 'bounces'
        when 'hot_lead.detected' then 'hot_leads'
        when 'escalation.resolved' then 'escalations_resolved'
        -- The person asked to stop (not an API add, a bounce or a complaint).
        when 'suppression.added' then case when new.data->>'source' in ('unsubscribe', 'reply') then 'unsubscribes' end
        -- A repeated escalation of a waiting conversation is not a new one.
        when 'conversation.escalated' then case when new.data->>'repeated' = 'false' then 'escalations_opened' end
      end;
      if m is not null then perform kpi_add(new.workspace_id, b, m, new.is_test, '-infinity', 1); end if;
      return null;
    end
    $$`.execute(db);

  // Created before the backfill, in the same transaction: its lock holds concurrent appends until
  // the backfill commits, and they are counted by the trigger after it, so nothing is counted twice.
  await sql`
    create trigger events_kpi_rollup after insert on events for each row
    when (new.type in (${sql.join(TRIGGERED.map((t) => sql.lit(t)))}))
    execute function kpi_rollup()`.execute(db);

  await backfill(db);
}

const BUCKET = sql`date_bin('15 minutes', created_at, timestamptz '2000-01-01 00:00:00+00')`;

/** Counts the events already there (the migration runs it once; tests compare it with the trigger). */
export async function backfill(db: Kysely<any>): Promise<void> {
  await sql`
    insert into kpi_counts (workspace_id, bucket, metric, is_test, since, n)
    select workspace_id, bucket, metric, is_test, '-infinity', count(*)
    from (
      select workspace_id, ${BUCKET} as bucket, is_test, case type
        when 'email.sent' then 'sent'
        when 'email.delivered' then 'delivered'
        when 'email.bounced' then 'bounces'
        when 'hot_lead.detected' then 'hot_leads'
        when 'escalation.resolved' then 'escalations_resolved'
        when 'suppression.added' then case when data->>'source' in ('unsubscribe', 'reply') then 'unsubscribes' end
        when 'conversation.escalated' then case when data->>'repeated' = 'false' then 'escalations_opened' end
      end as metric
      from events
      where type in ('email.sent', 'email.delivered', 'email.bounced', 'hot_lead.detected', 'escalation.resolved',
        'suppression.added', 'conversation.escalated')
    ) e
    where metric is not null
    group by 1, 2, 3, 4`.execute(db);

  await sql`
    insert into kpi_touches (workspace_id, type, draft_id, is_test, bucket)
    select distinct workspace_id, type, coalesce(data->>'draft_id', ''), is_test, ${BUCKET}
    from events where type in ('email.opened', 'email.clicked')`.execute(db);
  await sql`
    insert into kpi_counts (workspace_id, bucket, metric, is_test, since, n)
    select workspace_id, bucket, case type when 'email.opened' then 'opened' else 'clicked' end, is_test,
      coalesce(prev, '-infinity'), count(*)
    from (
      select workspace_id, type, is_test, bucket,
        lag(bucket) over (partition by workspace_id, type, draft_id, is_test order by bucket) as prev
      from kpi_touches
    ) t
    group by 1, 2, 3, 4, 5`.execute(db);

  await sql`
    insert into kpi_replies (workspace_id, reply_id, is_test, first_at, label, label_at, label_event_id)
    select workspace_id, coalesce(data->>'reply_id', ''), is_test,
      min(created_at) filter (where data->>'corrected' = 'false'),
      (array_agg(coalesce(data->>'label', '') order by created_at desc, id desc))[1],
      max(created_at),
      (array_agg(id order by created_at desc, id desc))[1]
    from events where type = 'reply.classified'
    group by 1, 2, 3`.execute(db);
  await sql`
    insert into kpi_counts (workspace_id, bucket, metric, is_test, since, n)
    select workspace_id, date_bin('15 minutes', first_at, timestamptz '2000-01-01 00:00:00+00'), 'reply:' || label,
      is_test, '-infinity', count(*)
    from kpi_replies where first_at is not null
    group by 1, 2, 3, 4`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists events_kpi_rollup on events`.execute(db);
  await sql`drop function if exists kpi_rollup()`.execute(db);
  await sql`drop function if exists kpi_add(text, timestamptz, text, boolean, timestamptz, integer)`.execute(db);
  await sql`drop table if exists kpi_replies`.execute(db);
  await sql`drop table if exists kpi_touches`.execute(db);
  await sql`drop table if exists kpi_counts`.execute(db);
}
