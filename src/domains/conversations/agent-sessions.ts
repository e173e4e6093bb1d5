import type { Kysely, Selectable } from 'kysely';
import type { ConversationTable, Database } from '../../adapters/db/schema.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { type Page, type PageRequest, keysetPage, newestFirst } from '../../kernel/pagination.js';

// Agent sessions are conversations whose agent_id is set (channel chat, web, sms or whatsapp): the
// agents domain reads and writes them only through these functions, so list_conversations,
// get_conversation and escalate_to_human see them like any other conversation.

export type SessionChannel = 'chat' | 'web' | 'sms' | 'whatsapp';

export const SESSION_COLUMNS = [
  'id',
  'agent_id',
  'channel',
  'contact',
  'status',
  'message_count',
  'last_message_at',
  'created_at',
  'updated_at',
] as const;
export type SessionRow = Pick<Selectable<ConversationTable>, (typeof SESSION_COLUMNS)[number]> & { agent_id: string };

/** A new conversation for an agent session, in the caller's transaction. */
export async function openAgentConversation(
  trx: Kysely<Database>,
  workspaceId: string,
  input: { agentId: string; channel: SessionChannel; contact: string; now: Date },
): Promise<SessionRow> {
  return (await trx
    .insertInto('conversations')
    .values({
      workspace_id: workspaceId,
      id: newId('cnv', input.now),
      channel: input.channel,
      prospect_id: null,
      agent_id: input.agentId,
      contact: input.contact,
      subject: null,
      status: 'open',
      last_message_at: null,
      created_at: input.now,
      updated_at: input.now,
    })
    .returning(SESSION_COLUMNS)
    .executeTakeFirstOrThrow()) as SessionRow;
}

/** An agent session locked for the caller's transaction; not_found (param session_id) when there is none. */
export async function lockAgentConversation(
  trx: Kysely<Database>,
  workspaceId: string,
  sessionId: string,
): Promise<SessionRow> {
  const row = await trx
    .selectFrom('conversations')
    .select(SESSION_COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', sessionId)
    .where('agent_id', 'is not', null)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `Session ${sessionId} not found`, { param: 'session_id' });
  return row as SessionRow;
}

/** Closes an agent session (its conversation), in the caller's transaction. */
export async function closeAgentConversation(
  trx: Kysely<Database>,
  workspaceId: string,
  sessionId: string,
  now: Date,
): Promise<SessionRow> {
  return (await trx
    .updateTable('conversations')
    .set({ status: 'closed', updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', sessionId)
    .returning(SESSION_COLUMNS)
    .executeTakeFirstOrThrow()) as SessionRow;
}

/** Agent sessions, newest first. */
export async function listAgentConversations<T>(
  ctx: RequestContext,
  filters: {
    agent_id?: string | undefined;
    statuses?: ('open' | 'escalated' | 'closed')[] | undefined;
    /** Only sessions with activity (or created) since then. */
    activeSince?: Date | undefined;
  },
  page: PageRequest,
  toItem: (row: SessionRow) => T,
): Promise<Page<T>> {
  let q = ctx.db
    .selectFrom('conversations')
    .select(SESSION_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('agent_id', 'is not', null);
  if (filters.agent_id) q = q.where('agent_id', '=', filters.agent_id);
  if (filters.statuses) q = q.where('status', 'in', filters.statuses);
  if (filters.activeSince) {
    const since = filters.activeSince;
    q = q.where((eb) => eb(eb.fn.coalesce('last_message_at', 'created_at'), '>', since));
  }
  const { activeSince: _, ...fingerprint } = filters;
  return keysetPage(q, newestFirst, page, { sessions: true, ...fingerprint }, (row) => toItem(row as SessionRow));
}

/** The last `limit` messages of a conversation, oldest first: what an agent is shown of the session so far. */
export async function recentMessages(
  db: Kysely<Database>,
  workspaceId: string,
  conversationId: string,
  limit: number,
): Promise<{ id: string; direction: 'inbound' | 'outbound'; body: string }[]> {
  const rows = await db
    .selectFrom('messages')
    .select(['id', 'direction', 'body', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', '=', conversationId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map(({ id, direction, body }) => ({ id, direction, body }));
}
