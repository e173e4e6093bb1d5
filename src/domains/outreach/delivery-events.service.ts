import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../adapters/db/schema.js';
import { transact } from '../../kernel/transact.js';
import type { ResendEvent } from '../../adapters/mail/resend-webhook.js';
import { type RequestContext, type Services, type Workspace, systemActor } from '../../kernel/context.js';
import { appendEvent } from '../../kernel/outbox.js';
import { outreachSettings } from './settings.model.js';
import { addSuppression } from '../suppression/index.js';
import { toWorkspace } from '../tenancy/index.js';
import { fixedClock } from '../../kernel/clock.js';

/** Delivery reports arrive from the provider's webhook. */
const RESEND = systemActor('resend-webhook');

/** Sending pauses itself past these rates over 24 h, before a provider suspends the account. */
export const MAX_HARD_BOUNCE_RATE = 0.05;
export const MAX_COMPLAINT_RATE = 0.001;

const EVENT_TYPES: Record<string, string> = {
  'email.delivered': 'email.delivered',
  'email.bounced': 'email.bounced',
  'email.complained': 'email.complained',
  'email.opened': 'email.opened',
  'email.clicked': 'email.clicked',
};

/**
 * Applies a verified Resend delivery event to the draft it is about: records it (once, however
 * often and however concurrently Resend redelivers), suppresses the address on a hard bounce or a
 * complaint, and pauses the workspace's sending when bounces or complaints pass their limits.
 */
export async function applyResendEvent(services: Services, log: Logger, event: ResendEvent): Promise<'applied' | 'ignored'> {
  if (!event.known || !EVENT_TYPES[event.type]) return 'ignored';
  const row = await services.db
    .selectFrom('drafts as d')
    .innerJoin('workspaces as w', 'w.id', 'd.workspace_id')
    .select(['d.id as draft_id', 'd.prospect_id', 'd.to_email'])
    .select(['w.id', 'w.organization_id', 'w.name', 'w.slug', 'w.is_test', 'w.timezone', 'w.settings', 'w.created_at', 'w.updated_at'])
    .where('d.provider', '=', 'resend')
    .where('d.provider_message_id', '=', event.email_id)
    .executeTakeFirst();
  if (!row) return 'ignored';
  const workspace = toWorkspace(row);
  const now = services.clock.now();

  const outcome = await transact(services.db, async (trx) => {
    // The insert decides, in the transaction of the effects: of concurrent redeliveries one inserts,
    // the others wait for its commit and insert nothing; if the effects fail, the id goes with them
    // and the redelivery Resend then sends applies it.
    const first = await trx
      .insertInto('provider_events')
      .values({ workspace_id: workspace.id, provider: 'resend', event_id: event.id, type: event.type, received_at: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'provider', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!first) return 'ignored';

    const data: Record<string, unknown> = { draft_id: row.draft_id, webhook_id: event.id, provider: 'resend' };
    if (event.type === 'email.bounced') Object.assign(data, { bounce_type: event.bounce.kind, bounce_message: event.bounce.message });
    if (event.type === 'email.clicked') data.url = event.click.link;
    await appendEvent(trx, { workspace, actor: RESEND, clock: services.clock }, EVENT_TYPES[event.type]! as 'email.delivered', data as never, { at: now, prospectId: row.prospect_id });

    const suppress = (event.type === 'email.bounced' && event.bounce.kind === 'hard') || event.type === 'email.complained';
    if (!suppress) return 'applied';
    const ctx: RequestContext = {
      ...services,
      db: trx,
      workspace,
      log,
      requestId: `resend:${event.id}`,
      actor: RESEND,
    };
    const source = event.type === 'email.complained' ? 'complaint' : 'bounce';
    await addSuppression(ctx, { email: row.to_email, reason: source === 'bounce' ? 'hard bounce' : 'spam complaint' }, source);
    return (await pauseIfUnhealthy(trx, workspace, now)) ? 'paused' : 'applied';
  });
  // After the commit: forgetting earlier would let a request cache the settings from before it.
  if (outcome === 'paused') services.workspaceCache.forget(workspace.id);
  return outcome === 'ignored' ? 'ignored' : 'applied';
}

/**
 * Pauses sending, with the reason in the workspace settings and an event, when the 24 h rates pass
 * their limits. Returns whether it paused.
 */
async function pauseIfUnhealthy(trx: Kysely<Database>, workspace: Workspace, now: Date): Promise<boolean> {
  // Locked and read again: two bounces applied at once must not both see "not paused" and pause twice.
  const current = await trx.selectFrom('workspaces').select('settings').where('id', '=', workspace.id).forUpdate().executeTakeFirstOrThrow();
  if (outreachSettings(current).paused) return false;
  const since = new Date(now.getTime() - 86_400_000);
  const { sent } = await trx
    .selectFrom('drafts')
    .select((eb) => eb.fn.countAll<string>().as('sent'))
    .where('workspace_id', '=', workspace.id)
    .where('sent_at', '>=', since)
    .executeTakeFirstOrThrow();
  const counts = await trx
    .selectFrom('events')
    .select([
      sql<string>`count(*) filter (where type = 'email.bounced' and data->>'bounce_type' = 'hard')`.as('bounces'),
      sql<string>`count(*) filter (where type = 'email.complained')`.as('complaints'),
    ])
    .where('workspace_id', '=', workspace.id)
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow();
  const total = Math.max(Number(sent), 1);
  const bounceRate = Number(counts.bounces) / total;
  const complaintRate = Number(counts.complaints) / total;
  const reason =
    bounceRate > MAX_HARD_BOUNCE_RATE
      ? `hard-bounce rate ${(bounceRate * 100).toFixed(1)}% over 24 h is above ${MAX_HARD_BOUNCE_RATE * 100}%`
      : complaintRate > MAX_COMPLAINT_RATE
        ? `complaint rate ${(complaintRate * 100).toFixed(2)}% over 24 h is above ${MAX_COMPLAINT_RATE * 100}%`
        : null;
  if (!reason) return false;
  const paused = { reason, since: now.toISOString() };
  await trx
    .updateTable('workspaces')
    .set({ settings: sql`jsonb_set(settings, '{outreach}', coalesce(settings->'outreach', '{}'::jsonb) || ${JSON.stringify({ paused })}::jsonb)`, updated_at: now })
    .where('id', '=', workspace.id)
    .execute();
  await appendEvent(trx, { workspace, actor: RESEND, clock: fixedClock(now) }, 'sending.paused', { reason });
  return true;
}
