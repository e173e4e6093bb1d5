import type { RequestContext } from '../../kernel/context.js';
import { appendEvent } from '../../kernel/outbox.js';
import { openEscalation } from '../escalations/index.js';
import { flagPendingDrafts } from '../outreach/index.js';
import { type ProspectStatus, applyReplyToProspect, getProspect, upsertProspect } from '../prospects/index.js';
import { addSuppression } from '../suppression/index.js';
import { MACHINE_LABELS, type ReplyClassificationResult } from './classify/index.js';

/** Soft bounces of one prospect's address before it is suppressed like a hard bounce. */
export const SOFT_BOUNCE_LIMIT = 3;

interface ClassifiedReply {
  id: string;
  conversation_id: string;
  prospect_id: string | null;
  from_email: string;
}

/**
 * What a classification does, in the caller's transaction (`ctx.db` is it): suppression for an
 * unsubscribe or a hard bounce, a snooze or a follow-up date, the prospect's status, drafts
 * flagged, a referral recorded, a hot lead escalated. Each step is idempotent, so a correction
 * (reclassify_reply) runs them again safely; `before` keeps a lead that was already hot from being
 * escalated twice.
 */
export async function applyClassification(
  ctx: RequestContext,
  reply: ClassifiedReply,
  c: Pick<ReplyClassificationResult, 'label' | 'hot' | 'return_date' | 'referral_email' | 'bounce_kind'>,
  before: { hot: boolean } | null,
): Promise<void> {
  const now = ctx.clock.now();
  const prospect = reply.prospect_id ? await getProspect(ctx, reply.prospect_id) : null;
  const human = !MACHINE_LABELS.has(c.label);
  let status: ProspectStatus | undefined = human ? 'replied' : undefined;

  if (c.label === 'unsubscribe') {
    const reason = `asked to stop in reply ${reply.id}`;
    await addSuppression(ctx, { email: reply.from_email, reason }, 'reply');
    // Someone writing from another address about this thread speaks for it: stop both.
    if (prospect && prospect.email !== reply.from_email)
      await addSuppression(ctx, { email: prospect.email, reason }, 'reply');
    status = 'unsubscribed';
  }
  if (c.label === 'bounce' && prospect) {
    const suppress = c.bounce_kind === 'hard' || (await softBounces(ctx, prospect.id)) >= SOFT_BOUNCE_LIMIT;
    if (suppress) {
      const reason = c.bounce_kind === 'hard' ? 'hard bounce' : `${SOFT_BOUNCE_LIMIT} soft bounces`;
      await addSuppression(ctx, { email: prospect.email, reason: `${reason} (reply ${reply.id})` }, 'bounce');
      status = 'bounced';
    }
  }
  if (prospect) {
    await applyReplyToProspect(ctx, prospect.id, {
      status,
      snoozed_until: c.label === 'out_of_office' ? (c.return_date ?? undefined) : undefined,
      follow_up_on: c.label === 'not_now' ? (c.return_date ?? undefined) : undefined,
    });
    if (human)
      await flagPendingDrafts(
        ctx.db,
        ctx.workspace.id,
        prospect.id,
        `the prospect replied (${reply.id}, ${c.label}): read it before approving`,
        now,
      );
  }
  if (c.label === 'referral' && c.referral_email) {
    await upsertProspect(ctx, {
      email: c.referral_email,
      custom_fields: { referred_by: prospect?.id ?? reply.from_email, referred_in_reply: reply.id },
    });
  }
  if (c.hot && !before?.hot) {
    await appendEvent(
      ctx.db,
      ctx,
      'hot_lead.detected',
      { reply_id: reply.id, conversation_id: reply.conversation_id, label: c.label },
      { at: now, prospectId: reply.prospect_id },
    );
    await openEscalation(ctx.db, ctx, ctx.jobs, {
      conversationId: reply.conversation_id,
      reason: `Hot lead: a ${c.label.replace('_', ' ')} reply (${reply.id})`,
      priority: 'high',
    });
  }
}

async function softBounces(ctx: RequestContext, prospectId: string): Promise<number> {
  const row = await ctx.db
    .selectFrom('replies')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', ctx.workspace.id)
    .where('prospect_id', '=', prospectId)
    .where('label', '=', 'bounce')
    .where('bounce_kind', '=', 'soft')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
