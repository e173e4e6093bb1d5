import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { appendEvent } from '../../kernel/outbox.js';
import { type Page, type PageRequest, keysetPage, newestFirst } from '../../kernel/pagination.js';
import { transact } from '../../kernel/transact.js';
import {
  appendMessage,
  bare,
  emailConversation,
  findOutboundByMessageIds,
  getConversation,
} from '../conversations/index.js';
import { findProspectByEmail, getProspect } from '../prospects/index.js';
import { type ReplyClassificationResult, type ReplyLabel, classifyReply } from './classify/index.js';
import { applyClassification } from './effects.js';
import { type InboundEmail, type InboundSource, type Reply, toReply } from './replies.model.js';
import { selectReplies } from './replies.queries.js';

const ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;

/** Message-IDs quoted in a body: a bounce carries the headers of the email it returns. */
const QUOTED_MESSAGE_ID = /^\s*message-id:\s*<([^>\s]{1,300})>/gim;

/**
 * Stores an inbound email as a reply: threaded to the email it answers (In-Reply-To and References
 * against sent Message-IDs, then ids quoted in a bounce, then the sender's address), classified,
 * and acted on in one transaction. The same Message-ID received again returns the stored reply
 * with `created: false` and changes nothing. Classification runs before the transaction: a model
 * call never holds one open.
 */
export async function receiveReply(
  ctx: RequestContext,
  email: InboundEmail,
  via: InboundSource,
): Promise<{ reply: Reply; created: boolean }> {
  const ws = ctx.workspace.id;
  const from = email.from.address.trim().toLowerCase();
  if (!ADDRESS.test(from)) throw new AppError('invalid_request', 'from is not an email address', { param: 'from' });
  const messageId = email.messageId ? bare(email.messageId) : null;
  if (messageId) {
    const stored = await replyByMessageId(ctx.db, ws, messageId);
    if (stored) return { reply: stored, created: false };
  }

  const threadIds = [email.inReplyTo, ...[...email.references].reverse()].filter((id): id is string => Boolean(id));
  const thread =
    (await findOutboundByMessageIds(ctx.db, ws, threadIds)) ??
    (await findOutboundByMessageIds(
      ctx.db,
      ws,
      [...email.text.matchAll(QUOTED_MESSAGE_ID)].map((m) => m[1]!),
    ));
  const prospectId = thread ? thread.prospect_id : ((await findProspectByEmail(ctx, from))?.id ?? null);
  const receivedAt = email.receivedAt ?? ctx.clock.now();
  const classification = await classifyReply(
    ctx.llm,
    {
      from,
      subject: email.subject,
      text: email.text,
      headers: email.headers,
      contentType: email.contentType,
      receivedAt,
      timezone: ctx.workspace.timezone,
    },
    { log: ctx.log },
  );

  return transact(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    const conversationId =
      thread?.conversation_id ??
      (await emailConversation(trx, ws, from, { prospectId, subject: email.subject, now })).id;
    const message = await appendMessage(
      trx,
      ws,
      conversationId,
      {
        direction: 'inbound',
        sender: from,
        recipient: email.to[0] ?? null,
        subject: email.subject,
        body: email.text,
        messageId,
        inReplyTo: email.inReplyTo ? bare(email.inReplyTo) : null,
        references: email.references.map(bare),
        provider: via,
        providerMessageId: null,
        draftId: null,
        sentAt: receivedAt,
      },
      now,
    );
    if (!message) {
      // Another delivery of the same message won the race: it is stored, and its effects applied, once.
      const stored = messageId ? await replyByMessageId(trx, ws, messageId) : undefined;
      if (stored) return { reply: stored, created: false };
      throw new AppError('conflict', 'This message is already stored', { param: 'message_id' });
    }
    await trx
      .insertInto('replies')
      .values({
        workspace_id: ws,
        id: message.id,
        conversation_id: conversationId,
        prospect_id: prospectId,
        draft_id: thread?.draft_id ?? null,
        from_email: from,
        via,
        headers: JSON.stringify(email.headers),
        attachment_count: email.attachmentCount,
        ...classificationColumns(classification),
        corrected_by_type: null,
        corrected_by_id: null,
        corrected_at: null,
        received_at: receivedAt,
        created_at: now,
      })
      .execute();
    const events = { at: now, prospectId };
    await appendEvent(
      trx,
      ctx,
      'reply.received',
      { reply_id: message.id, conversation_id: conversationId, via, draft_id: thread?.draft_id ?? null },
      events,
    );
    await appendEvent(trx, ctx, 'reply.classified', classifiedEvent(message.id, classification, false), events);
    const reply = { id: message.id, conversation_id: conversationId, prospect_id: prospectId, from_email: from };
    await applyClassification({ ...ctx, db: trx }, reply, classification, null);
    return { reply: await loadReply(trx, ws, message.id), created: true };
  });
}

const classificationColumns = (c: ReplyClassificationResult) => ({
  label: c.label,
  confidence: c.confidence,
  reason: c.reason,
  hot: c.hot,
  return_date: c.return_date,
  referral_email: c.referral_email,
  bounce_kind: c.bounce_kind,
  model: c.model,
});

const classifiedEvent = (replyId: string, c: ReplyClassificationResult, corrected: boolean) => ({
  reply_id: replyId,
  label: c.label,
  confidence: c.confidence,
  hot: c.hot,
  return_date: c.return_date,
  model: c.model,
  corrected,
});

async function replyByMessageId(db: Kysely<Database>, ws: string, messageId: string): Promise<Reply | undefined> {
  const row = await selectReplies(db, ws).where('m.message_id', '=', messageId).executeTakeFirst();
  return row && toReply(row);
}

async function loadReply(db: Kysely<Database>, ws: string, replyId: string): Promise<Reply> {
  const row = await selectReplies(db, ws).where('r.id', '=', replyId).executeTakeFirst();
  if (!row) throw new AppError('not_found', `Reply ${replyId} not found`, { param: 'reply_id' });
  return toReply(row);
}

export const getReply = (ctx: RequestContext, replyId: string): Promise<Reply> =>
  loadReply(ctx.db, ctx.workspace.id, replyId);

export interface ReplyFilters {
  label?: ReplyLabel | undefined;
  hot?: boolean | undefined;
  prospect_id?: string | undefined;
  conversation_id?: string | undefined;
  received_after?: string | undefined;
  received_before?: string | undefined;
}

/** Replies, newest first. */
export async function listReplies(ctx: RequestContext, filters: ReplyFilters, page: PageRequest): Promise<Page<Reply>> {
  // A filter naming a record that is not in this workspace is not_found, as reading it would be.
  if (filters.prospect_id) await getProspect(ctx, filters.prospect_id);
  if (filters.conversation_id) await getConversation(ctx, filters.conversation_id);
  let q = selectReplies(ctx.db, ctx.workspace.id);
  if (filters.label) q = q.where('r.label', '=', filters.label);
  if (filters.hot !== undefined) q = q.where('r.hot', '=', filters.hot);
  if (filters.prospect_id) q = q.where('r.prospect_id', '=', filters.prospect_id);
  if (filters.conversation_id) q = q.where('r.conversation_id', '=', filters.conversation_id);
  if (filters.received_after) q = q.where('r.received_at', '>=', new Date(filters.received_after));
  if (filters.received_before) q = q.where('r.received_at', '<', new Date(filters.received_before));
  // Wrapped so that the keyset's bare `created_at` and `id` name the reply's, not the joined message's.
  return keysetPage(ctx.db.selectFrom(q.as('reply')).selectAll(), newestFirst, page, filters, toReply);
}

export interface Correction {
  label: ReplyLabel;
  hot?: boolean | undefined;
  return_date?: string | null | undefined;
  referral_email?: string | null | undefined;
  bounce_kind?: 'hard' | 'soft' | undefined;
  reason?: string | undefined;
}

/**
 * A person's correction of a reply's classification: kept with who made it, and its effects run
 * again (a reply corrected to unsubscribe suppresses; corrected to hot, escalates). Effects of the
 * old label are not undone: removing a suppression stays an explicit admin action.
 */
export async function reclassifyReply(ctx: RequestContext, replyId: string, fix: Correction): Promise<Reply> {
  return transact(ctx.db, async (trx) => {
    const ws = ctx.workspace.id;
    const current = await trx
      .selectFrom('replies')
      .select(['id', 'conversation_id', 'prospect_id', 'from_email', 'hot', 'label', 'return_date'])
      .where('workspace_id', '=', ws)
      .where('id', '=', replyId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw new AppError('not_found', `Reply ${replyId} not found`, { param: 'reply_id' });
    const now = ctx.clock.now();
    const classification: ReplyClassificationResult = {
      label: fix.label,
      confidence: 1,
      reason: fix.reason ?? `Corrected by ${ctx.actor.type} ${ctx.actor.id}`,
      hot: fix.hot ?? (fix.label === 'interested' || fix.label === 'meeting_request'),
      return_date:
        fix.return_date !== undefined ? fix.return_date : fix.label === current.label ? current.return_date : null,
      referral_email: fix.referral_email ?? null,
      bounce_kind: fix.label === 'bounce' ? (fix.bounce_kind ?? 'hard') : null,
      model: 'human',
    };
    await trx
      .updateTable('replies')
      .set({
        ...classificationColumns(classification),
        corrected_by_type: ctx.actor.type,
        corrected_by_id: ctx.actor.id,
        corrected_at: now,
      })
      .where('workspace_id', '=', ws)
      .where('id', '=', replyId)
      .execute();
    await appendEvent(trx, ctx, 'reply.classified', classifiedEvent(replyId, classification, true), {
      at: now,
      prospectId: current.prospect_id,
    });
    await applyClassification({ ...ctx, db: trx }, current, classification, { hot: current.hot });
    return loadReply(trx, ws, replyId);
  });
}
