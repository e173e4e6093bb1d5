import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { EVENT_COLUMNS, EVENT_TYPES, appendEvent, toEvent } from '../../kernel/outbox.js';
import { type Page, type PageRequest, keysetPage, newestFirst } from '../../kernel/pagination.js';
import { failPendingDeliveries } from './deliveries.queries.js';
import { eventPayload } from './dispatcher.js';
import { newWebhookSecret, secretContext } from './signing.js';
import { assertWebhookUrl } from './ssrf.js';
import {
  ATTEMPT_COLUMNS,
  DEFAULT_ROTATION_GRACE_S,
  WEBHOOK_COLUMNS,
  type Webhook,
  type WebhookAttempt,
  toAttempt,
  toWebhook,
} from './webhooks.model.js';

export interface WebhookInput {
  url: string;
  events?: string[] | null | undefined;
  description?: string | null | undefined;
  enabled?: boolean | undefined;
}

const KNOWN = new Set<string>(EVENT_TYPES);

/** Null for "every type"; otherwise the distinct types, each one Switchboard emits. */
function checkEvents(events: string[] | null | undefined): string[] | null {
  if (!events) return null;
  const unknown = events.filter((e) => !KNOWN.has(e));
  if (unknown.length)
    throw new AppError(
      'invalid_request',
      `Unknown event type(s): ${unknown.join(', ')}. Omit events to receive every type; the README lists them.`,
      { param: 'events' },
    );
  return [...new Set(events)];
}

const disabledConflict = (id: string) =>
  new AppError('conflict', `Webhook ${id} is disabled: enable it first (update_webhook enabled=true)`, {
    param: 'webhook_id',
  });

const notFound = (id: string) => new AppError('not_found', `Webhook ${id} not found`, { param: 'webhook_id' });

async function lockEndpoint(trx: Kysely<Database>, ctx: RequestContext, id: string) {
  const row = await trx
    .selectFrom('webhook_endpoints')
    .select([...WEBHOOK_COLUMNS, 'secret'])
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound(id);
  return row;
}

/**
 * Refuses an endpoint past the workspace's cap. The workspace row is locked first, so two creations at
 * once cannot both pass the count.
 */
async function assertUnderCap(trx: Kysely<Database>, ctx: RequestContext): Promise<void> {
  // NO KEY UPDATE: it serializes creators without blocking the inserts whose foreign keys share-lock the workspace.
  await trx.selectFrom('workspaces').select('id').where('id', '=', ctx.workspace.id).forNoKeyUpdate().execute();
  const { n } = await trx
    .selectFrom('webhook_endpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ctx.workspace.id)
    .executeTakeFirstOrThrow();
  const max = ctx.webhooks.maxEndpointsPerWorkspace;
  if (Number(n) >= max)
    throw new AppError(
      'conflict',
      `This workspace already has ${max} webhook endpoints, the most allowed (SWITCHBOARD_WEBHOOKS_MAX_ENDPOINTS): delete one, or subscribe an existing endpoint to more event types`,
    );
}

/** Registers an endpoint; the URL must pass the SSRF rule now (and passes it again at each delivery). Returns its secret once. */
export async function createWebhook(ctx: RequestContext, input: WebhookInput): Promise<Webhook & { secret: string }> {
  const url = await assertWebhookUrl(input.url, ctx.webhooks.resolve, ctx.webhooks.allowPrivate);
  const events = checkEvents(input.events);
  const now = ctx.clock.now();
  const id = newId('whk', now);
  const secret = newWebhookSecret();
  // Sealed with the server key (throws the message naming SWITCHBOARD_SECRET_KEY when there is none).
  const sealed = await ctx.secrets.seal(secret, secretContext(ctx.workspace.id, id));
  return ctx.db.transaction().execute(async (trx) => {
    await assertUnderCap(trx, ctx);
    const row = await trx
      .insertInto('webhook_endpoints')
      .values({
        workspace_id: ctx.workspace.id,
        id,
        url: url.toString(),
        description: input.description ?? null,
        events,
        enabled: input.enabled ?? true,
        secret: sealed,
        created_at: now,
        updated_at: now,
      })
      .returning(WEBHOOK_COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(trx, ctx, 'webhook.created', { webhook_id: row.id, url: row.url, events }, { at: now });
    return { ...toWebhook(row), secret };
  });
}

/** Every endpoint of the workspace, newest first (secrets never shown). */
export async function listWebhooks(ctx: RequestContext): Promise<Webhook[]> {
  const rows = await ctx.db
    .selectFrom('webhook_endpoints')
    .select(WEBHOOK_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toWebhook);
}

/** One endpoint. */
export async function getWebhook(ctx: RequestContext, id: string): Promise<Webhook> {
  const row = await ctx.db
    .selectFrom('webhook_endpoints')
    .select(WEBHOOK_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound(id);
  return toWebhook(row);
}

/**
 * Changes the given fields. Disabling fails the endpoint's pending deliveries (redeliver them with
 * `failed_since`); enabling clears why it was disabled and its failure streak, and it receives the
 * events from then on.
 */
export async function updateWebhook(ctx: RequestContext, id: string, patch: Partial<WebhookInput>): Promise<Webhook> {
  const url =
    patch.url === undefined
      ? undefined
      : (await assertWebhookUrl(patch.url, ctx.webhooks.resolve, ctx.webhooks.allowPrivate)).toString();
  const events = patch.events === undefined ? undefined : checkEvents(patch.events);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const current = await lockEndpoint(trx, ctx, id);
    const changed = Object.entries({ url, events, description: patch.description, enabled: patch.enabled })
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k);
    if (!changed.length) return toWebhook(current);
    const enabling = patch.enabled === true && !current.enabled;
    if (patch.enabled === false && current.enabled) await failPendingDeliveries(trx, ctx.workspace.id, id, now);
    const row = await trx
      .updateTable('webhook_endpoints')
      .set({
        ...(url !== undefined ? { url } : {}),
        ...(events !== undefined ? { events } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        ...(enabling ? { disabled_reason: null, failing_since: null } : {}),
        updated_at: now,
      })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', id)
      .returning(WEBHOOK_COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(trx, ctx, 'webhook.updated', { webhook_id: id, changed_fields: changed }, { at: now });
    return toWebhook(row);
  });
}

/** Deletes an endpoint with its deliveries and their log; pending deliveries are dropped. */
export async function deleteWebhook(ctx: RequestContext, id: string): Promise<Webhook> {
  return ctx.db.transaction().execute(async (trx) => {
    const row = await lockEndpoint(trx, ctx, id);
    await trx
      .deleteFrom('webhook_endpoints')
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', id)
      .execute();
    await appendEvent(trx, ctx, 'webhook.deleted', { webhook_id: id, url: row.url });
    return toWebhook(row);
  });
}

/**
 * Gives the endpoint a new secret, returned once. The replaced one keeps signing beside it for
 * `graceSeconds` (default 24 h; 0 stops it at once), so receivers can switch without losing events.
 */
export async function rotateWebhookSecret(
  ctx: RequestContext,
  id: string,
  graceSeconds: number = DEFAULT_ROTATION_GRACE_S,
): Promise<Webhook & { secret: string }> {
  const now = ctx.clock.now();
  const secret = newWebhookSecret();
  const sealed = await ctx.secrets.seal(secret, secretContext(ctx.workspace.id, id));
  const expires = new Date(now.getTime() + graceSeconds * 1000);
  return ctx.db.transaction().execute(async (trx) => {
    const current = await lockEndpoint(trx, ctx, id);
    // Both are sealed for this endpoint: the current one moves to the previous slot as it is.
    const row = await trx
      .updateTable('webhook_endpoints')
      .set({ secret: sealed, previous_secret: current.secret, previous_secret_expires_at: expires, updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', id)
      .returning(WEBHOOK_COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(
      trx,
      ctx,
      'webhook.secret_rotated',
      { webhook_id: id, previous_secret_expires_at: expires.toISOString() },
      { at: now },
    );
    return { ...toWebhook(row), secret };
  });
}

/** The endpoint's delivery log: one entry per attempt, newest first, optionally for one event. */
export async function listWebhookAttempts(
  ctx: RequestContext,
  id: string,
  filters: { event_id?: string | undefined },
  page: PageRequest,
): Promise<Page<WebhookAttempt>> {
  await getWebhook(ctx, id);
  let q = ctx.db
    .selectFrom('webhook_attempts')
    .select(ATTEMPT_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('endpoint_id', '=', id);
  if (filters.event_id) q = q.where('event_id', '=', filters.event_id);
  return keysetPage(q, newestFirst, page, { id, ...filters }, toAttempt);
}

/** Queues a `webhook.test` event to this endpoint alone, signed like any other; the log shows how it went. */
export async function sendTestWebhook(
  ctx: RequestContext,
  id: string,
): Promise<{ event_id: string; delivery_id: string }> {
  const webhook = await getWebhook(ctx, id);
  if (!webhook.enabled) throw disabledConflict(id);
  const now = ctx.clock.now();
  const eventId = newId('evt', now);
  const deliveryId = newId('whd', now);
  const payload = JSON.stringify({
    type: 'webhook.test',
    timestamp: now.toISOString(),
    data: { webhook_id: id, workspace_id: ctx.workspace.id, is_test: true },
  });
  await ctx.db
    .insertInto('webhook_deliveries')
    .values(pendingDelivery(ctx.workspace.id, deliveryId, id, eventId, 'webhook.test', payload, now))
    .execute();
  return { event_id: eventId, delivery_id: deliveryId };
}

export const pendingDelivery = (
  workspaceId: string,
  id: string,
  endpointId: string,
  eventId: string,
  eventType: string,
  payload: string,
  now: Date,
) => ({
  workspace_id: workspaceId,
  id,
  endpoint_id: endpointId,
  event_id: eventId,
  event_type: eventType,
  payload,
  status: 'pending' as const,
  attempts: 0,
  next_attempt_at: now,
  created_at: now,
  updated_at: now,
});

/**
 * Sends again, from a fresh retry schedule: one event (even one never sent to this endpoint, if it
 * is in the outbox), or every failed delivery created since a date. Returns how many were queued.
 */
export async function redeliverWebhook(
  ctx: RequestContext,
  id: string,
  what: { event_id?: string | undefined; failed_since?: string | undefined },
): Promise<number> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const endpoint = await lockEndpoint(trx, ctx, id);
    if (Boolean(what.event_id) === Boolean(what.failed_since))
      throw new AppError('invalid_request', 'Give exactly one of event_id or failed_since', { param: 'event_id' });
    if (!endpoint.enabled) throw disabledConflict(id);
    const requeue = trx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now, lease_until: null, updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('endpoint_id', '=', id);
    if (what.failed_since) {
      const since = new Date(what.failed_since);
      const res = await requeue.where('status', '=', 'failed').where('created_at', '>=', since).executeTakeFirst();
      return Number(res.numUpdatedRows);
    }
    const eventId = what.event_id!;
    const res = await requeue.where('event_id', '=', eventId).executeTakeFirst();
    if (Number(res.numUpdatedRows)) return Number(res.numUpdatedRows);
    const event = await trx
      .selectFrom('events')
      .select(EVENT_COLUMNS)
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', eventId)
      .executeTakeFirst();
    if (!event) throw new AppError('not_found', `Event ${eventId} not found`, { param: 'event_id' });
    const e = toEvent(event);
    await trx
      .insertInto('webhook_deliveries')
      .values(
        pendingDelivery(ctx.workspace.id, newId('whd', now), id, e.id, e.type, eventPayload(ctx.workspace.id, e), now),
      )
      .execute();
    return 1;
  });
}
