import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import { type RequestContext, type Services, systemActor } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { appendEvent } from '../../kernel/outbox.js';
import { type Page, type PageRequest, keysetPage, newestFirst } from '../../kernel/pagination.js';
import { transact } from '../../kernel/transact.js';
import {
  EXECUTION_COLUMNS,
  type Execution,
  MAX_MESSAGE_CHARS,
  RUN_TIME_CAP_MS,
  fillTemplate,
  toExecution,
} from './agents.model.js';
import { agentRow } from './agents.service.js';
import { capText } from './claude.js';
import { countMessage } from './quota.js';
import { type RunOutcome, runAgent } from './runner.js';

/** How much of a message or goal the execution log keeps. */
export const INPUT_CAP = 4000;

/** Records the start of a run, in the caller's transaction; `input` is stored as given (callers cap it). */
export async function startExecution(
  trx: Kysely<Database>,
  ctx: RequestContext,
  run: {
    agentId: string;
    conversationId: string | null;
    messageId: string | null;
    kind: 'message' | 'execute';
    input: Record<string, unknown>;
    now: Date;
  },
): Promise<string> {
  const id = newId('exe', run.now);
  await trx
    .insertInto('agent_executions')
    .values({
      workspace_id: ctx.workspace.id,
      id,
      agent_id: run.agentId,
      conversation_id: run.conversationId,
      message_id: run.messageId,
      kind: run.kind,
      mode: ctx.llm.converse ? 'anthropic' : 'offline',
      status: 'running',
      input: JSON.stringify(run.input),
      actor_type: ctx.actor.type,
      actor_id: ctx.actor.id,
      created_at: run.now,
    })
    .execute();
  return id;
}

/**
 * Records how a run ended, in the caller's transaction. Only a run still `running`: one that
 * recoverStaleRuns already marked failed stays failed, and the caller's transaction is rolled back
 * (conflict), so its late answer is not stored beside a failure.
 */
export async function finishExecution(
  trx: Kysely<Database>,
  ctx: RequestContext,
  id: string,
  outcome: RunOutcome,
  extra: { escalationId: string | null; latencyMs: number; answer?: string | null },
): Promise<Execution> {
  const row = await trx
    .updateTable('agent_executions')
    .set({
      status: outcome.status,
      mode: outcome.mode,
      answer: extra.answer !== undefined ? extra.answer : outcome.answer,
      citations: JSON.stringify(outcome.citations),
      steps: JSON.stringify(outcome.steps),
      escalation_id: extra.escalationId,
      escalation_reason: outcome.escalate?.reason ?? null,
      input_tokens: outcome.usage.input_tokens,
      output_tokens: outcome.usage.output_tokens,
      latency_ms: Math.round(extra.latencyMs),
      error: outcome.error,
      finished_at: ctx.clock.now(),
    })
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', id)
    .where('status', '=', 'running')
    .returning(EXECUTION_COLUMNS)
    .executeTakeFirst();
  if (!row) {
    throw new AppError(
      'conflict',
      `Execution ${id} ran longer than ${RUN_TIME_CAP_MS / 60_000} minutes and was recorded as failed; its answer was not kept`,
      { execution_id: id },
    );
  }
  return toExecution(row);
}

export const STALE_RUN_ERROR = `interrupted: the run did not finish within ${RUN_TIME_CAP_MS / 60_000} minutes (the server stopped or crashed during it)`;

/**
 * Marks failed the executions still `running` after the run time cap: their process died between
 * storing the message and storing the answer, so they would otherwise never finish. A message run
 * also gets its message.failed event (the message stays in the session; the customer may send it
 * again). Each execution in its own short transaction, so one bad row does not hold up the others.
 * Run at start-up and on a timer by the workers. Returns how many it marked.
 */
export async function recoverStaleRuns(services: Services): Promise<number> {
  const now = services.clock.now();
  const before = new Date(now.getTime() - RUN_TIME_CAP_MS);
  const stale = await services.db
    .selectFrom('agent_executions')
    .select(['workspace_id', 'id'])
    .where('status', '=', 'running')
    .where('created_at', '<', before)
    .orderBy('created_at')
    .limit(500)
    .execute();
  let marked = 0;
  for (const { workspace_id, id } of stale) {
    const done = await transact(services.db, async (trx) => {
      const run = await trx
        .updateTable('agent_executions')
        .set({ status: 'failed', error: STALE_RUN_ERROR, finished_at: now })
        .where('workspace_id', '=', workspace_id)
        .where('id', '=', id)
        .where('status', '=', 'running')
        .returning(['agent_id', 'conversation_id', 'message_id', 'kind'])
        .executeTakeFirst();
      if (!run) return false;
      const workspace = await trx
        .selectFrom('workspaces')
        .select(['id', 'is_test'])
        .where('id', '=', workspace_id)
        .executeTakeFirstOrThrow();
      const source = { workspace, actor: systemActor('agents'), clock: services.clock };
      if (run.kind === 'message' && run.message_id && run.conversation_id) {
        await appendEvent(trx, source, 'message.failed', {
          message_id: run.message_id,
          session_id: run.conversation_id,
          agent_id: run.agent_id,
          execution_id: id,
          reason: STALE_RUN_ERROR,
        });
      } else {
        await appendEvent(trx, source, 'agent.executed', {
          agent_id: run.agent_id,
          execution_id: id,
          status: 'failed',
        });
      }
      return true;
    });
    if (done) marked++;
  }
  return marked;
}

/** A run's outcome when the run itself threw: recorded as failed, the error passed on. */
export function crashed(ctx: RequestContext, err: unknown): RunOutcome {
  const error = err instanceof AppError ? `${err.code}: ${err.message}` : 'internal error (logged)';
  if (!(err instanceof AppError)) ctx.log.error({ err }, 'agent run failed');
  return {
    mode: ctx.llm.converse ? 'anthropic' : 'offline',
    status: ctx.signal?.aborted ? 'cancelled' : 'failed',
    answer: null,
    citations: [],
    steps: [],
    escalate: null,
    escalation: null,
    usage: { input_tokens: 0, output_tokens: 0 },
    error,
  };
}

/** An agent's executions, newest first (also those of a deleted agent). */
export async function listExecutions(
  ctx: RequestContext,
  agentId: string,
  filters: { status?: Execution['status'] | undefined },
  page: PageRequest,
): Promise<Page<Execution>> {
  const agent = await ctx.db
    .selectFrom('agents')
    .select('id')
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', agentId)
    .executeTakeFirst();
  if (!agent) throw new AppError('not_found', `Agent ${agentId} not found`, { param: 'agent_id' });
  let q = ctx.db
    .selectFrom('agent_executions')
    .select(EXECUTION_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('agent_id', '=', agentId);
  if (filters.status) q = q.where('status', '=', filters.status);
  return keysetPage(q, newestFirst, page, { agent_id: agentId, ...filters }, toExecution);
}

/**
 * A one-shot run: `goal_template` filled with `input` is the task. It counts one against the
 * organization's monthly message quota, as a message does (quota_exceeded, with the reset date). There is no conversation, so a
 * task the agent must not or cannot answer ends with no answer and the reason, not an escalation.
 */
export async function executeAgent(
  ctx: RequestContext,
  agentId: string,
  input: Record<string, unknown>,
): Promise<Execution> {
  const started = performance.now();
  const agent = await agentRow(ctx.db, ctx.workspace.id, agentId);
  if (agent.status === 'paused') {
    throw new AppError('conflict', `Agent ${agentId} is paused: set its status to active to run it`, {
      param: 'agent_id',
    });
  }
  if (!agent.goal_template) {
    throw new AppError(
      'invalid_request',
      `Agent ${agentId} has no goal_template: set one (e.g. "Answer {{question}}") or message it with send_agent_message`,
      { param: 'agent_id' },
    );
  }
  const { text, missing } = fillTemplate(agent.goal_template, input);
  if (missing.length) {
    throw new AppError('invalid_request', `input lacks the goal_template variable(s): ${missing.join(', ')}`, {
      param: 'input',
    });
  }
  if (text.length > MAX_MESSAGE_CHARS) {
    throw new AppError(
      'payload_too_large',
      `The filled goal has ${text.length} characters; at most ${MAX_MESSAGE_CHARS} are accepted`,
      { param: 'input', limit: MAX_MESSAGE_CHARS },
    );
  }
  const now = ctx.clock.now();
  const executionId = await transact(ctx.db, async (trx) => {
    await countMessage(trx, ctx, now);
    return startExecution(trx, ctx, {
      agentId,
      conversationId: null,
      messageId: null,
      kind: 'execute',
      input: {
        variables: Object.fromEntries(
          Object.entries(input).map(([k, v]) => [k, typeof v === 'string' ? capText(v, 500) : v]),
        ),
        goal: capText(text, INPUT_CAP),
      },
      now,
    });
  });
  let outcome: RunOutcome;
  try {
    outcome = await runAgent(ctx, { agent, question: text, conversationId: null, history: [] });
  } catch (err) {
    outcome = crashed(ctx, err);
  }
  await ctx.progress?.(1, 1, `execution ${outcome.status}`);
  // No conversation to hand over: what would have been an escalation is a run without an answer.
  const handedOver = outcome.escalate !== null;
  if (handedOver) outcome = { ...outcome, status: 'completed' };
  return transact(ctx.db, async (trx) => {
    const execution = await finishExecution(trx, ctx, executionId, outcome, {
      escalationId: outcome.escalation?.id ?? null,
      latencyMs: performance.now() - started,
      ...(handedOver ? { answer: null } : {}),
    });
    await appendEvent(trx, ctx, 'agent.executed', {
      agent_id: agentId,
      execution_id: executionId,
      status: execution.status,
    });
    return execution;
  });
}
