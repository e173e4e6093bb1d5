import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { appendEvent } from '../../kernel/outbox.js';
import type { Page, PageRequest } from '../../kernel/pagination.js';
import { transact } from '../../kernel/transact.js';
import {
  type SessionRow,
  closeAgentConversation,
  listAgentConversations,
  lockAgentConversation,
} from '../conversations/index.js';
import { SESSION_IDLE_MS, type Session } from './agents.model.js';

export const lastActivity = (s: Pick<SessionRow, 'last_message_at' | 'created_at'>) =>
  (s.last_message_at ?? s.created_at).getTime();

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    agent_id: row.agent_id,
    channel: row.channel as Session['channel'],
    sender_id: row.contact,
    status: row.status,
    message_count: row.message_count,
    last_message_at: row.last_message_at?.toISOString() ?? null,
    expires_at: row.status === 'closed' ? null : new Date(lastActivity(row) + SESSION_IDLE_MS).toISOString(),
    created_at: row.created_at.toISOString(),
  };
}

/** Sessions, newest first: by default those still open (open or escalated, active in the last 24 h). */
export async function listSessions(
  ctx: RequestContext,
  filters: { agent_id?: string | undefined; status?: 'active' | 'closed' | 'all' | undefined },
  page: PageRequest,
): Promise<Page<Session>> {
  if (filters.agent_id) await agentOrDeleted(ctx, filters.agent_id);
  const status = filters.status ?? 'active';
  return listAgentConversations(
    ctx,
    {
      agent_id: filters.agent_id,
      statuses: status === 'all' ? undefined : status === 'closed' ? ['closed'] : ['open', 'escalated'],
      activeSince: status === 'active' ? new Date(ctx.clock.now().getTime() - SESSION_IDLE_MS) : undefined,
    },
    page,
    toSession,
  );
}

async function agentOrDeleted(ctx: RequestContext, agentId: string) {
  const row = await ctx.db
    .selectFrom('agents')
    .select('id')
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', agentId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `Agent ${agentId} not found`, { param: 'agent_id' });
}

/** Closes a session; closing a closed session changes nothing. */
export async function closeSession(ctx: RequestContext, sessionId: string): Promise<Session> {
  return transact(ctx.db, async (trx) => {
    const session = await lockAgentConversation(trx, ctx.workspace.id, sessionId);
    if (session.status === 'closed') return toSession(session);
    const now = ctx.clock.now();
    const closed = await closeAgentConversation(trx, ctx.workspace.id, sessionId, now);
    await appendEvent(
      trx,
      ctx,
      'session.closed',
      { session_id: sessionId, agent_id: session.agent_id, reason: 'closed' },
      { at: now },
    );
    return toSession(closed);
  });
}
