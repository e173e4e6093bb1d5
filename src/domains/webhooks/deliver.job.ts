import { randomInt } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../adapters/db/schema.js';
import { type Services, systemActor } from '../../kernel/context.js';
import { newId } from '../../kernel/ids.js';
import { appendEvent } from '../../kernel/outbox.js';
import { failPendingDeliveries } from './deliveries.queries.js';
import { type PostOptions, type PostResult, postWebhook } from './post.js';
import { secretContext, simpleSignature, standardSignature } from './signing.js';
import { DISABLE_AFTER_MS } from './webhooks.model.js';

const DELIVER = systemActor('job:webhooks.deliver');

/** A claimed attempt: the delivery, its endpoint's address and secrets, and which attempt it is. */
export interface ClaimedDelivery {
  workspace_id: string;
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  /** This attempt's number (1 for the first). */
  attempts: number;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
}

/**
 * Past twice the attempt's timeout and 5 s more (recording it), a claim is presumed crashed: another
 * process (or this one) takes it over. A holder that was only slow is harmless: at worst the receiver
 * gets the event twice (at-least-once), and only the latest claim moves the delivery on.
 */
const leaseMs = (timeoutMs: number) => 2 * timeoutMs + 5_000;

/**
 * Claims up to `limit` due deliveries of enabled endpoints, at most `perEndpoint(key)` for each
 * endpoint (`workspace_id/endpoint_id`), oldest due first. The claim is a lease written in the
 * transaction that locked the rows (`SKIP LOCKED`): several processes never claim the same attempt,
 * and no transaction stays open during the HTTP call. The attempt counter rises at the claim, so a
 * crash between claim and send still counts it.
 */
export async function claimDueDeliveries(
  services: Pick<Services, 'db' | 'clock' | 'webhooks'>,
  limit: number,
  perEndpoint: (endpointKey: string) => number,
): Promise<ClaimedDelivery[]> {
  if (limit <= 0) return [];
  const now = services.clock.now();
  const cap = services.webhooks.concurrencyPerEndpoint;
  return services.db.transaction().execute(async (trx) => {
    // Per enabled endpoint, its few oldest due deliveries (an index probe each, webhook_deliveries_due_per_endpoint_idx):
    // one endpoint's backlog cannot crowd the others out of a batch, and a backlog is never scanned whole.
    const { rows: candidates } = await sql<Omit<ClaimedDelivery, 'attempts'> & { attempts: number }>`
      select d.workspace_id, d.id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.attempts,
        e.url, e.secret, e.previous_secret, e.previous_secret_expires_at, e.failing_since
      from webhook_endpoints e
      cross join lateral (
        select workspace_id, id, endpoint_id, event_id, event_type, payload, attempts, next_attempt_at
        from webhook_deliveries
        where workspace_id = e.workspace_id and endpoint_id = e.id and status = 'pending'
          and next_attempt_at <= ${now} and (lease_until is null or lease_until < ${now})
        order by next_attempt_at, id
        limit ${cap}
        for update skip locked
      ) d
      where e.enabled
      order by d.next_attempt_at
      limit ${limit}`.execute(trx);
    const taken = new Map<string, number>();
    const chosen = candidates.filter((c) => {
      const key = `${c.workspace_id}/${c.endpoint_id}`;
      const n = taken.get(key) ?? 0;
      if (n >= perEndpoint(key)) return false;
      taken.set(key, n + 1);
      return true;
    });
    if (!chosen.length) return [];
    const keys = sql.join(chosen.map((c) => sql`(${c.workspace_id}, ${c.id})`));
    await trx
      .updateTable('webhook_deliveries')
      .set({
        lease_until: new Date(now.getTime() + leaseMs(services.webhooks.timeoutMs)),
        attempts: sql`attempts + 1`,
        updated_at: now,
      })
      .where(sql<boolean>`(workspace_id, id) in (${keys})`)
      .execute();
    return chosen.map((c) => ({ ...c, attempts: c.attempts + 1 }));
  });
}

/**
 * The secrets that sign now, opened with the server key: the current one, and the one a rotation
 * replaced until its grace ends.
 */
async function signingSecrets(services: Pick<Services, 'secrets'>, d: ClaimedDelivery, now: Date): Promise<string[]> {
  const context = secretContext(d.workspace_id, d.endpoint_id);
  const sealed =
    d.previous_secret && d.previous_secret_expires_at && d.previous_secret_expires_at > now
      ? [d.secret, d.previous_secret]
      : [d.secret];
  return Promise.all(sealed.map((s) => services.secrets.open(s, context)));
}

/** Makes one attempt of a claimed delivery and records it. Never holds a transaction across the HTTP call. */
export async function attemptDelivery(
  services: Pick<Services, 'db' | 'clock' | 'webhooks' | 'secrets'>,
  log: Logger,
  d: ClaimedDelivery,
  post: Omit<PostOptions, 'timeoutMs' | 'resolve' | 'allowPrivate' | 'now'>,
  recorder: AttemptRecorder = new AttemptRecorder(services),
): Promise<PostResult> {
  const now = services.clock.now();
  const timestamp = Math.floor(now.getTime() / 1000);
  const secrets = await signingSecrets(services, d, now);
  const result = await postWebhook(
    d.url,
    d.payload,
    {
      'webhook-id': d.event_id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': standardSignature(secrets, d.event_id, timestamp, d.payload),
      'x-switchboard-signature': simpleSignature(secrets, d.payload),
    },
    {
      ...post,
      now: now.getTime(),
      timeoutMs: services.webhooks.timeoutMs,
      resolve: services.webhooks.resolve,
      allowPrivate: services.webhooks.allowPrivate,
    },
  );
  if (result.error)
    log.info(
      {
        deliveryId: d.id,
        endpointId: d.endpoint_id,
        attempt: d.attempts,
        status: result.statusCode,
        error: result.error,
      },
      'webhook attempt failed',
    );
  await recorder.record(d, result);
  return result;
}

/** The longest a receiver's `Retry-After` can push the next attempt back: one hour. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * The wait before the next try after `attempts` failed ones, ±10 % jitter; null once the schedule is
 * used up. A receiver's `Retry-After` (on 429 or 503) lengthens it, up to `MAX_RETRY_AFTER_MS`, never
 * shortens it: a receiver cannot make Switchboard retry faster than the schedule, nor park a delivery for days.
 */
export function retryDelayMs(
  schedule: readonly number[],
  attempts: number,
  retryAfterMs: number | null = null,
): number | null {
  const base = schedule[attempts - 1];
  if (base === undefined) return null;
  const delay = Math.round(base * (0.9 + randomInt(0, 201) / 1000));
  return retryAfterMs === null ? delay : Math.max(delay, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

interface Outcome {
  d: ClaimedDelivery;
  r: PostResult;
}

/**
 * Records attempts in batches: while one batch is written, the attempts that finish queue for the
 * next, so a busy process writes one transaction per batch rather than one per attempt (the database
 * round trips were most of a delivery's cost). A quiet process writes each attempt at once.
 */
export class AttemptRecorder {
  private readonly queue: (Outcome & { done: () => void; fail: (err: unknown) => void })[] = [];
  private flushing = false;

  constructor(private readonly services: Pick<Services, 'db' | 'clock' | 'webhooks'>) {}

  record(d: ClaimedDelivery, r: PostResult): Promise<void> {
    return new Promise((done, fail) => {
      this.queue.push({ d, r, done, fail });
      this.flush();
    });
  }

  private flush(): void {
    if (this.flushing || !this.queue.length) return;
    this.flushing = true;
    const batch = this.queue.splice(0, 500);
    recordAttempts(this.services, batch)
      .then(
        () => {
          for (const b of batch) b.done();
        },
        (err: unknown) => {
          for (const b of batch) b.fail(err);
        },
      )
      .finally(() => {
        this.flushing = false;
        this.flush();
      });
  }
}

const endpointKey = (o: Outcome) => `${o.d.workspace_id}/${o.d.endpoint_id}`;

/** Logs the attempts and moves their deliveries on, in one transaction; then each endpoint's failure streak. */
export async function recordAttempts(
  services: Pick<Services, 'db' | 'clock' | 'webhooks'>,
  outcomes: Outcome[],
): Promise<void> {
  if (!outcomes.length) return;
  const now = services.clock.now();
  await services.db.transaction().execute(async (trx) => {
    // The endpoints first, as deleting or disabling one locks it before its deliveries: the same order, no
    // deadlock. KEY SHARE lets attempts of one endpoint record side by side; a deleted endpoint has nothing to record.
    const pairs = [...new Map(outcomes.map((o) => [endpointKey(o), o.d])).values()];
    const alive = await trx
      .selectFrom('webhook_endpoints')
      .select(['workspace_id', 'id'])
      .where(
        sql<boolean>`(workspace_id, id) in (${sql.join(pairs.map((d) => sql`(${d.workspace_id}, ${d.endpoint_id})`))})`,
      )
      .orderBy('workspace_id')
      .orderBy('id')
      .forKeyShare()
      .execute();
    const live = new Set(alive.map((e) => `${e.workspace_id}/${e.id}`));
    const kept = outcomes.filter((o) => live.has(endpointKey(o)));
    if (!kept.length) return;
    await trx
      .insertInto('webhook_attempts')
      .values(
        kept.map(({ d, r }) => ({
          workspace_id: d.workspace_id,
          id: newId('wha', now),
          delivery_id: d.id,
          endpoint_id: d.endpoint_id,
          event_id: d.event_id,
          event_type: d.event_type,
          attempt: d.attempts,
          status_code: r.statusCode,
          latency_ms: r.latencyMs,
          error: r.error,
          response_snippet: r.snippet,
          created_at: now,
        })),
      )
      .execute();
    const rows = kept.map(({ d, r }) => {
      const ok = r.error === null;
      const delay =
        ok || !r.retryable ? null : retryDelayMs(services.webhooks.retryScheduleMs, d.attempts, r.retryAfterMs ?? null);
      const status = ok ? 'succeeded' : delay === null ? 'failed' : 'pending';
      const next = delay === null ? now : new Date(now.getTime() + delay);
      return sql`(${d.workspace_id}, ${d.id}, ${d.attempts}::int, ${status}, ${next}::timestamptz, ${r.statusCode}::int, ${r.error})`;
    });
    // Only the holder of the claim moves a delivery on: a claim taken over after a lease ran out has a higher count.
    await sql`
      update webhook_deliveries d set status = v.status, next_attempt_at = v.next_attempt_at, lease_until = null,
        last_status_code = v.code, last_error = v.err, updated_at = ${now}
      from (values ${sql.join(rows)}) as v(workspace_id, id, attempts, status, next_attempt_at, code, err)
      where d.workspace_id = v.workspace_id and d.id = v.id and d.attempts = v.attempts and d.status = 'pending'`.execute(
      trx,
    );
    // Per endpoint, in a fixed order: a success ends its failure streak, a failure (with no success) extends it.
    const byEndpoint = new Map<string, Outcome[]>();
    for (const o of kept) byEndpoint.set(endpointKey(o), [...(byEndpoint.get(endpointKey(o)) ?? []), o]);
    for (const key of [...byEndpoint.keys()].sort()) {
      const group = byEndpoint.get(key)!;
      const success = group.find((o) => o.r.error === null);
      if (success) {
        if (group.some((o) => o.d.failing_since))
          await trx
            .updateTable('webhook_endpoints')
            .set({ failing_since: null })
            .where('workspace_id', '=', success.d.workspace_id)
            .where('id', '=', success.d.endpoint_id)
            .execute();
      } else await noteFailure(trx, services, group[0]!.d, now);
    }
  });
}

/** Starts or extends the endpoint's failure streak; 5 days of it, without a success, disables it with an event. */
async function noteFailure(
  trx: Kysely<Database>,
  services: Pick<Services, 'clock'>,
  d: ClaimedDelivery,
  now: Date,
): Promise<void> {
  const endpoint = await trx
    .updateTable('webhook_endpoints')
    .set({ failing_since: sql`coalesce(failing_since, ${now})` })
    .where('workspace_id', '=', d.workspace_id)
    .where('id', '=', d.endpoint_id)
    .returning(['url', 'enabled', 'failing_since'])
    .executeTakeFirst();
  if (!endpoint?.enabled || !endpoint.failing_since) return;
  if (now.getTime() - endpoint.failing_since.getTime() < DISABLE_AFTER_MS) return;
  const reason = 'failing for 5 days without a successful delivery';
  await trx
    .updateTable('webhook_endpoints')
    .set({ enabled: false, disabled_reason: reason, updated_at: now })
    .where('workspace_id', '=', d.workspace_id)
    .where('id', '=', d.endpoint_id)
    .execute();
  await failPendingDeliveries(trx, d.workspace_id, d.endpoint_id, now);
  const ws = await trx
    .selectFrom('workspaces')
    .select(['id', 'is_test'])
    .where('id', '=', d.workspace_id)
    .executeTakeFirstOrThrow();
  await appendEvent(
    trx,
    { workspace: ws, actor: DELIVER, clock: services.clock },
    'webhook.disabled',
    { webhook_id: d.endpoint_id, url: endpoint.url, reason, failing_since: endpoint.failing_since.toISOString() },
    { at: now },
  );
}
