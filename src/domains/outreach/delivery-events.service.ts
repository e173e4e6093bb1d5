import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../adapters/db/schema.js';
import { transact } from '../../kernel/transact.js';
import { type RequestContext, type Services, type Workspace, systemActor } from '../../kernel/context.js';
import { type EventSource, appendEvent } from '../../kernel/outbox.js';
import type { DeliveryReport } from '../../kernel/ports.js';
import { outreachSettings } from './settings.model.js';
import { recordSentMessageId } from '../conversations/index.js';
import { addSuppression } from '../suppression/index.js';
import { toWorkspace, writeSettingsSection } from '../tenancy/index.js';
import { fixedClock } from '../../kernel/clock.js';

/** Sending pauses itself past these rates over 24 h, before a provider suspends the account. */
const MAX_HARD_BOUNCE_RATE = 0.05;
const MAX_COMPLAINT_RATE = 0.001;

/**
 * Applies a verified delivery report to the draft it is about: records it (once, however often and
 * however concurrently the provider redelivers), suppresses the address on a hard bounce or a
 * complaint, and pauses the workspace's sending when bounces or complaints pass their limits.
 */
export async function applyDeliveryReport(
  services: Services,
  log: Logger,
  report: DeliveryReport,
): Promise<'applied' | 'ignored'> {
  // The provider's webhook acts, not a key.
  const actor = systemActor(`${report.provider}-webhook`);
  const row = await services.db
    .selectFrom('drafts as d')
    .innerJoin('workspaces as w', 'w.id', 'd.workspace_id')
    .select(['d.id as draft_id', 'd.prospect_id', 'd.to_email'])
    .select([
      'w.id',
      'w.organization_id',
      'w.name',
      'w.slug',
      'w.is_test',
      'w.timezone',
      'w.settings',
      'w.created_at',
      'w.updated_at',
    ])
    .where('d.provider', '=', report.provider)
    .where('d.provider_message_id', '=', report.providerMessageId)
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
      .values({
        workspace_id: workspace.id,
        provider: report.provider,
        event_id: report.reportId,
        type: report.type,
        received_at: now,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'provider', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!first) return 'ignored';

    if (report.messageId) await recordSentMessageId(trx, workspace.id, row.draft_id, report.messageId);
    const source = { workspace, actor, clock: fixedClock(now) };
    const base = { draft_id: row.draft_id, webhook_id: report.reportId, provider: report.provider };
    const opts = { prospectId: row.prospect_id };
    if (report.type === 'email.bounced') {
      await appendEvent(
        trx,
        source,
        report.type,
        { ...base, bounce_type: report.bounce.kind, bounce_message: report.bounce.message },
        opts,
      );
    } else if (report.type === 'email.clicked') {
      await appendEvent(trx, source, report.type, { ...base, url: report.url }, opts);
    } else {
      await appendEvent(trx, source, report.type, base, opts);
    }

    const suppress =
      (report.type === 'email.bounced' && report.bounce.kind === 'hard') || report.type === 'email.complained';
    if (!suppress) return 'applied';
    const ctx: RequestContext = {
      ...services,
      db: trx,
      workspace,
      log,
      requestId: `${report.provider}:${report.reportId}`,
      actor,
    };
    const cause = report.type === 'email.complained' ? 'complaint' : 'bounce';
    await addSuppression(
      ctx,
      { email: row.to_email, reason: cause === 'bounce' ? 'hard bounce' : 'spam complaint' },
      cause,
    );
    return (await pauseIfUnhealthy(trx, source)) ? 'paused' : 'applied';
  });
  // After the commit: forgetting earlier would let a request cache the settings from before it.
  if (outcome === 'paused') services.workspaceCache.forget(workspace.id);
  return outcome === 'ignored' ? 'ignored' : 'applied';
}

/**
 * Pauses sending, with the reason in the workspace settings and an event, when the 24 h rates pass
 * their limits. Returns whether it paused.
 */
async function pauseIfUnhealthy(
  trx: Kysely<Database>,
  source: EventSource & { workspace: Workspace },
): Promise<boolean> {
  const { workspace } = source;
  const now = source.clock.now();
  // Locked and read again: two bounces applied at once must not both see "not paused" and pause twice.
  const current = await trx
    .selectFrom('workspaces')
    .select('settings')
    .where('id', '=', workspace.id)
    .forUpdate()
    .executeTakeFirstOrThrow();
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
  await writeSettingsSection(trx, workspace.id, 'outreach', { paused }, 'merge', now);
  await appendEvent(trx, source, 'sending.paused', { reason });
  return true;
}
