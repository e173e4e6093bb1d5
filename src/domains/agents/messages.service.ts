import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { appendEvent } from '../../kernel/outbox.js';
import { transact } from '../../kernel/transact.js';
import {
  type SessionRow,
  appendMessage,
  closeAgentConversation,
  lockAgentConversation,
  openAgentConversation,
  recentMessages,
  sessionMessage,
} from '../conversations/index.js';
import { openEscalation } from '../escalations/index.js';
import {
  MAX_MESSAGE_CHARS,
  MAX_SESSION_MESSAGES,
  type MessageResult,
  RUN_TIME_CAP_MS,
  type SESSION_CHANNELS,
  SESSION_IDLE_MS,
} from './agents.model.js';
import { agentRow } from './agents.service.js';
import { capText } from './claude.js';
import { INPUT_CAP, crashed, finishExecution, startExecution } from './executions.service.js';
import { type RunOutcome, runAgent } from './runner.js';
import { countMessage } from './quota.js';
import { lastActivity } from './sessions.service.js';

/** How many earlier messages of a session the model is shown. */
const HISTORY = 20;

export interface SendMessageInput {
  agent_id: string;
  session_id?: string | undefined;
  content: string;
  sender_id?: string | undefined;
  channel?: (typeof SESSION_CHANNELS)[number] | undefined;
}

interface Prepared {
  expired?: true;
  agent?: Awaited<ReturnType<typeof agentRow>>;
  session?: SessionRow;
  messageId?: string;
  executionId?: string;
  history?: { direction: 'inbound' | 'outbound'; body: string }[];
}

/** The session to write in: the one named (checked: this agent's, not closed, not idle 24 h, not full) or a new one. */
async function sessionFor(trx: Kysely<Database>, ctx: RequestContext, input: SendMessageInput, now: Date) {
  if (!input.session_id) {
    const session = await openAgentConversation(trx, ctx.workspace.id, {
      agentId: input.agent_id,
      channel: input.channel ?? 'chat',
      contact: input.sender_id ?? 'anonymous',
      now,
    });
    await appendEvent(
      trx,
      ctx,
      'session.created',
      { session_id: session.id, agent_id: input.agent_id, channel: session.channel },
      { at: now },
    );
    return { session, expired: false };
  }
  const session = await lockAgentConversation(trx, ctx.workspace.id, input.session_id);
  if (session.agent_id !== input.agent_id) {
    throw new AppError('invalid_request', `Session ${session.id} belongs to another agent`, { param: 'session_id' });
  }
  const idle = now.getTime() - lastActivity(session) > SESSION_IDLE_MS;
  if (session.status === 'closed' && !idle) {
    throw new AppError('conflict', `Session ${session.id} is closed: omit session_id to start a new one`, {
      param: 'session_id',
    });
  }
  if (idle) {
    if (session.status !== 'closed') {
      await closeAgentConversation(trx, ctx.workspace.id, session.id, now);
      await appendEvent(
        trx,
        ctx,
        'session.closed',
        { session_id: session.id, agent_id: session.agent_id, reason: 'expired' },
        { at: now },
      );
    }
    return { session, expired: true };
  }
  if (session.message_count + 2 > MAX_SESSION_MESSAGES) {
    throw new AppError(
      'conflict',
      `Session ${session.id} has ${session.message_count} messages; a session holds at most ${MAX_SESSION_MESSAGES}: omit session_id to start a new one`,
      { param: 'session_id', limit: MAX_SESSION_MESSAGES },
    );
  }
  return { session, expired: false };
}

/**
 * Turns on one session are one at a time: a message sent while the agent is still answering the
 * previous one is refused (conflict), so every message is answered with the history before it and
 * answers follow their messages. Checked under the session's row lock (sessionFor), so of two
 * concurrent messages exactly one starts. A run older than the run time cap is not waited for: its
 * process died, and recoverStaleRuns marks it failed.
 */
async function refuseTurnInProgress(trx: Kysely<Database>, ctx: RequestContext, sessionId: string, now: Date) {
  const running = await trx
    .selectFrom('agent_executions')
    .select(['id', 'message_id'])
    .where('workspace_id', '=', ctx.workspace.id)
    .where('conversation_id', '=', sessionId)
    .where('status', '=', 'running')
    .where('created_at', '>', new Date(now.getTime() - RUN_TIME_CAP_MS))
    .executeTakeFirst();
  if (running) {
    throw new AppError(
      'conflict',
      `Session ${sessionId} is still answering message ${running.message_id}; send the next message once that answer has arrived`,
      { param: 'session_id', execution_id: running.id },
    );
  }
}

/**
 * A customer's message to an agent, and the agent's answer. The message is stored and counted in one
 * transaction, the agent runs outside any (it may call Claude), and its answer, the execution record
 * and any escalation are stored in a second one.
 */
export async function sendMessage(ctx: RequestContext, input: SendMessageInput): Promise<MessageResult> {
  if (input.content.length > MAX_MESSAGE_CHARS) {
    throw new AppError(
      'payload_too_large',
      `content has ${input.content.length} characters; a message holds at most ${MAX_MESSAGE_CHARS}`,
      { param: 'content', limit: MAX_MESSAGE_CHARS },
    );
  }
  const started = performance.now();
  const now = ctx.clock.now();
  const prepared: Prepared = await transact(ctx.db, async (trx) => {
    const agent = await agentRow(trx, ctx.workspace.id, input.agent_id);
    if (agent.status === 'paused') {
      throw new AppError('conflict', `Agent ${agent.id} is paused: set its status to active to message it`, {
        param: 'agent_id',
      });
    }
    const { session, expired } = await sessionFor(trx, ctx, input, now);
    if (expired) return { expired: true };
    await refuseTurnInProgress(trx, ctx, session.id, now);
    await countMessage(trx, ctx, now);
    const history = await recentMessages(trx, ctx.workspace.id, session.id, HISTORY);
    const message = await appendMessage(
      trx,
      ctx.workspace.id,
      session.id,
      sessionMessage({
        direction: 'inbound',
        sender: session.contact,
        recipient: agent.id,
        body: input.content,
        sentAt: now,
      }),
      now,
    );
    const messageId = message!.id;
    await appendEvent(
      trx,
      ctx,
      'message.created',
      { message_id: messageId, session_id: session.id, agent_id: agent.id },
      { at: now },
    );
    const executionId = await startExecution(trx, ctx, {
      agentId: agent.id,
      conversationId: session.id,
      messageId,
      kind: 'message',
      input: { content: capText(input.content, INPUT_CAP), sender_id: session.contact, channel: session.channel },
      now,
    });
    return { agent, session, messageId, executionId, history };
  });
  if (prepared.expired) {
    throw new AppError(
      'session_expired',
      `Session ${input.session_id} expired after 24 hours without activity: omit session_id to start a new one`,
      { param: 'session_id' },
    );
  }
  const { agent, session, messageId, executionId, history } = prepared as Required<Omit<Prepared, 'expired'>>;
  let outcome: RunOutcome;
  try {
    outcome = await runAgent(ctx, { agent, question: input.content, conversationId: session.id, history });
  } catch (err) {
    outcome = crashed(ctx, err);
  }
  return finishMessage(ctx, { agent, session, messageId, executionId, outcome, started });
}

async function finishMessage(
  ctx: RequestContext,
  run: {
    agent: { id: string };
    session: SessionRow;
    messageId: string;
    executionId: string;
    outcome: RunOutcome;
    started: number;
  },
): Promise<MessageResult> {
  const { agent, session, messageId, executionId, outcome } = run;
  const ids = { message_id: messageId, session_id: session.id, agent_id: agent.id };
  const result = await transact(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    if (outcome.status === 'failed' || outcome.status === 'cancelled' || !outcome.answer) {
      await finishExecution(trx, ctx, executionId, outcome, {
        escalationId: null,
        latencyMs: performance.now() - run.started,
      });
      const reason = outcome.error ?? `the run ended ${outcome.status}`;
      await appendEvent(trx, ctx, 'message.failed', { ...ids, execution_id: executionId, reason }, { at: now });
      return null;
    }
    const answer = await appendMessage(
      trx,
      ctx.workspace.id,
      session.id,
      sessionMessage({
        direction: 'outbound',
        sender: agent.id,
        recipient: session.contact,
        body: outcome.answer,
        sentAt: now,
      }),
      now,
    );
    let escalation = outcome.escalation;
    if (outcome.escalate) {
      const source = { workspace: ctx.workspace, actor: { type: 'agent' as const, id: agent.id }, clock: ctx.clock };
      escalation = (
        await openEscalation(trx, source, ctx.jobs, {
          conversationId: session.id,
          reason: outcome.escalate.reason,
          priority: outcome.escalate.priority,
        })
      ).escalation;
    }
    const status = escalation ? 'escalated' : 'completed';
    await finishExecution(
      trx,
      ctx,
      executionId,
      { ...outcome, status },
      {
        escalationId: escalation?.id ?? null,
        latencyMs: performance.now() - run.started,
      },
    );
    await appendEvent(
      trx,
      ctx,
      'message.completed',
      { ...ids, execution_id: executionId, status, citation_count: outcome.citations.length },
      { at: now },
    );
    return {
      id: answer!.id,
      session_id: session.id,
      status,
      answer: outcome.answer,
      citations: outcome.citations,
      usage: outcome.usage,
      escalation,
      execution_id: executionId,
    } satisfies MessageResult;
  });
  if (!result) {
    throw new AppError(
      'upstream_error',
      `The agent could not answer (${outcome.error ?? outcome.status}); the message is kept in session ${session.id}: send it again`,
      { ...ids, execution_id: executionId },
    );
  }
  return result;
}
