import type { Kysely } from 'kysely';
import type { Database, MessageGeneration } from '../../adapters/db/schema.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { getProspect } from '../prospects/index.js';
import { appendEvent } from '../../kernel/outbox.js';
import { type Page, type PageRequest, keysetPage, newestFirst, oldestFirst } from '../../kernel/pagination.js';
import {
  CONVERSATION_COLUMNS,
  type CONVERSATION_STATUSES,
  type Conversation,
  MESSAGE_COLUMNS,
  type Message,
  type MessageColumns,
  toConversation,
  toMessage,
} from './conversations.model.js';

type Status = (typeof CONVERSATION_STATUSES)[number];

/**
 * The email conversation with an address: one per counterpart, created on the first email either
 * way. A prospect found later is attached to it.
 */
export async function emailConversation(
  trx: Kysely<Database>,
  workspaceId: string,
  contact: string,
  opts: { prospectId: string | null; subject: string | null; now: Date },
): Promise<{ id: string; prospect_id: string | null; status: Status }> {
  const address = contact.trim().toLowerCase();
  const inserted = await trx
    .insertInto('conversations')
    .values({
      workspace_id: workspaceId,
      id: newId('cnv', opts.now),
      channel: 'email',
      prospect_id: opts.prospectId,
      agent_id: null,
      contact: address,
      subject: opts.subject,
      status: 'open',
      last_message_at: null,
      created_at: opts.now,
      updated_at: opts.now,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'contact']).where('channel', '=', 'email').doNothing())
    .returning(['id', 'prospect_id', 'status'])
    .executeTakeFirst();
  if (inserted) return inserted;
  const existing = await trx
    .selectFrom('conversations')
    .select(['id', 'prospect_id', 'status'])
    .where('workspace_id', '=', workspaceId)
    .where('channel', '=', 'email')
    .where('contact', '=', address)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (!existing.prospect_id && opts.prospectId) {
    await trx
      .updateTable('conversations')
      .set({ prospect_id: opts.prospectId, updated_at: opts.now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', existing.id)
      .execute();
    return { ...existing, prospect_id: opts.prospectId };
  }
  return existing;
}

export interface NewMessage {
  direction: 'inbound' | 'outbound';
  sender: string;
  recipient: string | null;
  subject: string | null;
  body: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  provider: string | null;
  providerMessageId: string | null;
  draftId: string | null;
  sentAt: Date;
  /** For a message a model wrote: how. */
  generation?: MessageGeneration | null;
}

/** A message of a chat or agent session: it has none of an email's fields. */
export const sessionMessage = (
  m: Pick<NewMessage, 'direction' | 'sender' | 'recipient' | 'body' | 'sentAt' | 'generation'>,
): NewMessage => ({
  ...m,
  subject: null,
  messageId: null,
  inReplyTo: null,
  references: [],
  provider: null,
  providerMessageId: null,
  draftId: null,
});

/**
 * Appends a message to a conversation. A message whose Message-ID (or draft) is already stored is
 * not stored again: null is returned and nothing changes.
 */
export async function appendMessage(
  trx: Kysely<Database>,
  workspaceId: string,
  conversationId: string,
  msg: NewMessage,
  now: Date,
): Promise<{ id: string } | null> {
  const row = await trx
    .insertInto('messages')
    .values({
      workspace_id: workspaceId,
      id: newId('msg', now),
      conversation_id: conversationId,
      direction: msg.direction,
      sender: msg.sender,
      recipient: msg.recipient,
      subject: msg.subject,
      body: msg.body,
      message_id: msg.messageId,
      in_reply_to: msg.inReplyTo,
      references: msg.references,
      provider: msg.provider,
      provider_message_id: msg.providerMessageId,
      draft_id: msg.draftId,
      sent_at: msg.sentAt,
      created_at: now,
      generation: msg.generation ? JSON.stringify(msg.generation) : null,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) return null;
  await trx
    .updateTable('conversations')
    .set((eb) => ({
      message_count: eb('message_count', '+', 1),
      last_message_at: msg.sentAt,
      updated_at: now,
    }))
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', conversationId)
    .execute();
  return row;
}

/** A sent outreach email, as the first (or next) outbound message of its prospect's email conversation. */
export async function recordOutboundEmail(
  trx: Kysely<Database>,
  workspaceId: string,
  email: {
    prospectId: string;
    from: string;
    to: string;
    subject: string;
    body: string;
    messageId: string | null;
    provider: string;
    providerMessageId: string;
    draftId: string;
    sentAt: Date;
  },
): Promise<void> {
  const conversation = await emailConversation(trx, workspaceId, email.to, {
    prospectId: email.prospectId,
    subject: email.subject,
    now: email.sentAt,
  });
  await appendMessage(
    trx,
    workspaceId,
    conversation.id,
    {
      direction: 'outbound',
      sender: email.from,
      recipient: email.to,
      subject: email.subject,
      body: email.body,
      messageId: email.messageId ? bare(email.messageId) : null,
      inReplyTo: null,
      references: [],
      provider: email.provider,
      providerMessageId: email.providerMessageId,
      draftId: email.draftId,
      sentAt: email.sentAt,
    },
    email.sentAt,
  );
}

/** A Message-ID learnt after sending (Resend reports the one it gave the email), so replies can thread on it. */
export async function recordSentMessageId(
  trx: Kysely<Database>,
  workspaceId: string,
  draftId: string,
  messageId: string,
): Promise<void> {
  await trx
    .updateTable('messages')
    .set({ message_id: bare(messageId) })
    .where('workspace_id', '=', workspaceId)
    .where('draft_id', '=', draftId)
    .where('message_id', 'is', null)
    .execute();
}

/** `<abc@host>` → `abc@host`: ids are stored and compared without angle brackets. */
export const bare = (messageId: string): string => messageId.trim().replace(/^<|>$/g, '');

/** The most recent outbound email among these Message-IDs: what a reply answers. */
export async function findOutboundByMessageIds(
  db: Kysely<Database>,
  workspaceId: string,
  messageIds: string[],
): Promise<{ conversation_id: string; draft_id: string | null; prospect_id: string | null } | undefined> {
  const ids = [...new Set(messageIds.map(bare).filter(Boolean))];
  if (ids.length === 0) return undefined;
  return db
    .selectFrom('messages as m')
    .innerJoin('conversations as c', (j) =>
      j.onRef('c.workspace_id', '=', 'm.workspace_id').onRef('c.id', '=', 'm.conversation_id'),
    )
    .select(['m.conversation_id', 'm.draft_id', 'c.prospect_id'])
    .where('m.workspace_id', '=', workspaceId)
    .where('m.direction', '=', 'outbound')
    .where('m.message_id', 'in', ids)
    .orderBy('m.sent_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function setConversationStatus(
  trx: Kysely<Database>,
  workspaceId: string,
  conversationId: string,
  status: Status,
  now: Date,
): Promise<void> {
  await trx
    .updateTable('conversations')
    .set({ status, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', conversationId)
    .execute();
}

/** The conversation, locked for the caller's transaction; not_found when it is not in this workspace. */
export async function lockConversation(
  trx: Kysely<Database>,
  workspaceId: string,
  conversationId: string,
): Promise<Conversation> {
  const row = await trx
    .selectFrom('conversations')
    .select(CONVERSATION_COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', conversationId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `Conversation ${conversationId} not found`, { param: 'conversation_id' });
  return toConversation(row);
}

export interface ConversationFilters {
  channel?: Conversation['channel'] | undefined;
  status?: Status | undefined;
  prospect_id?: string | undefined;
}

/** Conversations, newest first. */
export async function listConversations(
  ctx: RequestContext,
  filters: ConversationFilters,
  page: PageRequest,
): Promise<Page<Conversation>> {
  if (filters.prospect_id) await getProspect(ctx, filters.prospect_id);
  let q = ctx.db.selectFrom('conversations').select(CONVERSATION_COLUMNS).where('workspace_id', '=', ctx.workspace.id);
  if (filters.channel) q = q.where('channel', '=', filters.channel);
  if (filters.status) q = q.where('status', '=', filters.status);
  if (filters.prospect_id) q = q.where('prospect_id', '=', filters.prospect_id);
  return keysetPage(q, newestFirst, page, filters, toConversation);
}

export async function getConversation(ctx: RequestContext, conversationId: string): Promise<Conversation> {
  const row = await ctx.db
    .selectFrom('conversations')
    .select(CONVERSATION_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', conversationId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `Conversation ${conversationId} not found`, { param: 'conversation_id' });
  return toConversation(row);
}

/** A conversation's messages in the order they were stored, one page at a time. */
export async function listMessages(
  ctx: RequestContext,
  conversationId: string,
  page: PageRequest,
): Promise<Page<Message>> {
  await getConversation(ctx, conversationId);
  const q = ctx.db
    .selectFrom('messages')
    .select([...MESSAGE_COLUMNS, 'created_at'])
    .where('workspace_id', '=', ctx.workspace.id)
    .where('conversation_id', '=', conversationId);
  return keysetPage<MessageColumns & { created_at: Date }, Message>(
    q,
    oldestFirst,
    page,
    { conversation_id: conversationId },
    ({ created_at: _, ...row }) => toMessage(row),
  );
}

// ---------------------------------------------------------------------------------------------
// Chat conversations (issue #13): started and continued by the chat domain, deleted by delete_conversation.

/** A new conversation on the `chat` channel with `contact` (the API key, or an end-user id). */
export async function startChatConversation(
  trx: Kysely<Database>,
  workspaceId: string,
  opts: { contact: string; subject: string | null; now: Date },
): Promise<string> {
  const id = newId('cnv', opts.now);
  await trx
    .insertInto('conversations')
    .values({
      workspace_id: workspaceId,
      id,
      channel: 'chat',
      prospect_id: null,
      agent_id: null,
      contact: opts.contact,
      subject: opts.subject,
      status: 'open',
      last_message_at: null,
      created_at: opts.now,
      updated_at: opts.now,
    })
    .execute();
  return id;
}

/** The conversation with what decides whether a chat may continue it, locked; not_found when it is not in this workspace. */
export async function lockConversationForChat(
  trx: Kysely<Database>,
  workspaceId: string,
  conversationId: string,
): Promise<{
  id: string;
  channel: Conversation['channel'];
  agent_id: string | null;
  status: Status;
  turn_message_id: string | null;
  turn_started_at: Date | null;
}> {
  const row = await trx
    .selectFrom('conversations')
    .select(['id', 'channel', 'agent_id', 'status', 'turn_message_id', 'turn_started_at'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', conversationId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `Conversation ${conversationId} not found`, { param: 'conversation_id' });
  return row;
}

/**
 * Deletes a conversation with its messages (and its resolved escalations). Email threads are the
 * outreach record (sent drafts, replies) and are not deleted, nor are agent sessions (their
 * executions refer to them), nor is a conversation a person has been asked to handle (an open
 * escalation): resolve it first.
 */
export async function deleteConversation(
  ctx: RequestContext,
  conversationId: string,
): Promise<{ deleted: true; id: string }> {
  return ctx.db.transaction().execute(async (trx) => {
    const ws = ctx.workspace.id;
    const row = await trx
      .selectFrom('conversations')
      .select(['id', 'channel', 'status', 'message_count', 'prospect_id', 'agent_id'])
      .where('workspace_id', '=', ws)
      .where('id', '=', conversationId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `Conversation ${conversationId} not found`, { param: 'conversation_id' });
    if (row.agent_id)
      throw new AppError(
        'conflict',
        `Conversation ${conversationId} is a session of agent ${row.agent_id}: its executions refer to it; close the session instead`,
        { param: 'conversation_id' },
      );
    if (row.channel === 'email')
      throw new AppError(
        'conflict',
        `Conversation ${conversationId} is an email thread: it holds the outreach record (sent emails, replies) and cannot be deleted`,
        { param: 'conversation_id' },
      );
    if (row.status === 'escalated')
      throw new AppError(
        'conflict',
        `Conversation ${conversationId} is escalated to a person: resolve its escalation before deleting it`,
        { param: 'conversation_id' },
      );
    await trx.deleteFrom('escalations').where('workspace_id', '=', ws).where('conversation_id', '=', row.id).execute();
    await trx.deleteFrom('messages').where('workspace_id', '=', ws).where('conversation_id', '=', row.id).execute();
    await trx.deleteFrom('conversations').where('workspace_id', '=', ws).where('id', '=', row.id).execute();
    await appendEvent(
      trx,
      ctx,
      'conversation.deleted',
      { conversation_id: row.id, channel: row.channel, message_count: row.message_count },
      { prospectId: row.prospect_id },
    );
    return { deleted: true as const, id: row.id };
  });
}
