import type { Principal, RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import type { AgentToolSpec, ConverseBlock, ConverseMessage, Llm } from '../../kernel/ports.js';
import { THIRD_PARTY_NOTE, thirdParty } from '../../kernel/untrusted.js';
import type { Escalation } from '../escalations/index.js';
import type { SearchResult } from '../knowledge/index.js';
import type { AgentRow, Citation, ExecutionStep } from './agents.model.js';
import { formatLocation, toCitation } from './offline.js';

// The tool-use loop: Claude is offered the agent's tools that the running key may call, and every
// call goes through the operation invoker (scope, input, tenancy checks) restricted to the session's
// workspace. What comes back from tools and customers is wrapped as third-party text.

/** Tool inputs and results as kept in the execution log, and as shown to the model. */
const LOG_CAP = 2000;
const MODEL_RESULT_CAP = 12_000;
const DEFAULT_MAX_TOKENS = 1024;

export interface ClaudeRun {
  status: 'completed' | 'escalated' | 'failed' | 'cancelled';
  answer: string | null;
  citations: Citation[];
  steps: ExecutionStep[];
  escalation: Escalation | null;
  usage: { input_tokens: number; output_tokens: number };
  error: string | null;
}

/** Text cut to `cap` characters, saying how much was left out. */
export const capText = (text: string, cap = LOG_CAP): string =>
  text.length <= cap ? text : `${text.slice(0, cap)}… [${text.length - cap} more characters]`;

/** A value as JSON for the execution log, capped. */
export const logJson = (value: unknown): string | null =>
  value === null || value === undefined ? null : capText(JSON.stringify(value));

function systemPrompt(ctx: RequestContext, agent: AgentRow, conversationId: string | null, tools: AgentToolSpec[]) {
  const lines = [
    agent.instructions,
    '',
    `Workspace: ${ctx.workspace.name}.`,
    conversationId
      ? `This conversation's id is ${conversationId}: pass it as conversation_id to escalate_to_human.`
      : 'This is a one-shot task, not a conversation: there is no one to escalate to; say what is missing instead.',
  ];
  if (agent.knowledge_base_ids.length && tools.some((t) => t.name === 'kb_search')) {
    lines.push(
      `Search your knowledge bases with kb_search (knowledge_base_id: ${agent.knowledge_base_ids.join(' or ')}). ` +
        'Passages come back numbered [n]: answer only from them and cite each fact with its [n]. ' +
        'When they do not answer the question, say so and escalate; never make up an answer.',
    );
  }
  lines.push(THIRD_PARTY_NOTE);
  return lines.join('\n');
}

interface Toolbox {
  principal: Principal;
  allowed: Map<string, AgentToolSpec>;
}

/** Why a tool call is refused before it reaches the invoker, or undefined. */
function refusal(ctx: RequestContext, agent: AgentRow, box: Toolbox, name: string, input: Record<string, unknown>) {
  if (!box.allowed.has(name)) return `${name} is not one of this agent's tools`;
  const ws = input.workspace_id;
  if (ws !== undefined && ws !== ctx.workspace.id && ws !== ctx.workspace.slug) {
    return "the agent works in its conversation's workspace only; another workspace was asked for";
  }
  if (name === 'kb_search' && agent.knowledge_base_ids.length) {
    const kb = input.knowledge_base_id;
    if (typeof kb !== 'string' || !agent.knowledge_base_ids.includes(kb)) {
      return `kb_search must name one of this agent's knowledge bases: ${agent.knowledge_base_ids.join(', ')}`;
    }
  }
  return undefined;
}

/** A kb_search result as the model reads it: numbered passages, each a citation. */
function passages(results: SearchResult[], citations: Citation[]): string {
  if (!results.length) return 'No passage found.';
  return results
    .map((r) => {
      const c = toCitation(citations.length + 1, r);
      citations.push(c);
      const where = formatLocation(r.location);
      return `[${c.n}] ${r.document_name}${where ? ` (${where})` : ''}:\n${r.content}`;
    })
    .join('\n\n');
}

async function callTool(
  ctx: RequestContext,
  agent: AgentRow,
  box: Toolbox,
  block: Extract<ConverseBlock, { type: 'tool_use' }>,
  run: { citations: Citation[]; escalation: Escalation | null; steps: ExecutionStep[] },
): Promise<ConverseBlock> {
  const started = performance.now();
  const input = (block.input && typeof block.input === 'object' ? block.input : {}) as Record<string, unknown>;
  const step = (status: ExecutionStep['status'], output: unknown, error: string | null) =>
    run.steps.push({
      type: 'tool_call',
      name: block.name,
      input: logJson(input),
      output: logJson(output),
      status,
      error,
      latency_ms: Math.round(performance.now() - started),
    });
  const refused = refusal(ctx, agent, box, block.name, input);
  if (refused) {
    step('refused', null, refused);
    return { type: 'tool_result', tool_use_id: block.id, content: `Refused: ${refused}.`, is_error: true };
  }
  try {
    const output = await ctx.operations!.call(
      box.principal,
      block.name,
      { ...input, workspace_id: ctx.workspace.id },
      { actor: { type: 'agent', id: agent.id }, requestId: ctx.requestId, log: ctx.log, signal: ctx.signal },
    );
    step('ok', output, null);
    if (block.name === 'escalate_to_human') run.escalation = (output as { escalation: Escalation }).escalation;
    const text =
      block.name === 'kb_search'
        ? passages((output as { results: SearchResult[] }).results, run.citations)
        : JSON.stringify(output);
    return { type: 'tool_result', tool_use_id: block.id, content: thirdParty(capText(text, MODEL_RESULT_CAP)) };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    step('error', null, `${err.code}: ${err.message}`);
    return { type: 'tool_result', tool_use_id: block.id, content: `${err.code}: ${err.message}`, is_error: true };
  }
}

/** Runs the agent with Claude until it answers, or a cap (steps, tokens) or a cancellation stops it. */
export async function answerWithClaude(
  ctx: RequestContext,
  llm: Llm & { converse: NonNullable<Llm['converse']> },
  agent: AgentRow,
  conversationId: string | null,
  history: ConverseMessage[],
  question: string,
): Promise<ClaudeRun> {
  const principal = ctx.principal!;
  // The key's permissions narrowed to this workspace: whatever a tool input says, nothing else is reachable.
  const box: Toolbox = {
    principal: { ...principal, allWorkspaces: false, workspaceIds: [ctx.workspace.id] },
    allowed: new Map(ctx.operations!.tools(principal, agent.tools).map((t) => [t.name, t])),
  };
  const tools = [...box.allowed.values()];
  const system = systemPrompt(ctx, agent, conversationId, tools);
  const messages: ConverseMessage[] = [...history];
  const last = messages.at(-1);
  // A message left unanswered (a failed run) and this one make one user turn: turns must alternate.
  if (last?.role === 'user')
    messages[messages.length - 1] = { role: 'user', content: `${last.content as string}\n\n${thirdParty(question)}` };
  else messages.push({ role: 'user', content: thirdParty(question) });
  const run = { citations: [] as Citation[], escalation: null as Escalation | null, steps: [] as ExecutionStep[] };
  const usage = { input_tokens: 0, output_tokens: 0 };
  const { maxSteps, maxTokensPerRun } = ctx.agents;
  const end = (status: ClaudeRun['status'], answer: string | null, error: string | null): ClaudeRun => {
    const cited = answer ? citedOnly(answer, run.citations) : [];
    return { status, answer, citations: cited, steps: run.steps, escalation: run.escalation, usage, error };
  };
  for (let step = 1; step <= maxSteps; step++) {
    if (ctx.signal?.aborted) return end('cancelled', null, 'cancelled by the caller');
    await ctx.progress?.(step - 1, maxSteps, `step ${step}: asking the model`);
    const started = performance.now();
    let response: Awaited<ReturnType<typeof llm.converse>>;
    try {
      response = await llm.converse({
        model: agent.model ?? undefined,
        system,
        messages,
        tools,
        maxTokens: agent.max_tokens ?? DEFAULT_MAX_TOKENS,
        temperature: agent.temperature ?? undefined,
        signal: ctx.signal,
      });
    } catch (err) {
      if (ctx.signal?.aborted) return end('cancelled', null, 'cancelled by the caller');
      if (!(err instanceof AppError)) throw err;
      run.steps.push(modelStep(agent, 'error', null, `${err.code}: ${err.message}`, started));
      return end('failed', null, `${err.code}: ${err.message}`);
    }
    usage.input_tokens += response.usage.input_tokens;
    usage.output_tokens += response.usage.output_tokens;
    const text = response.content
      .filter((b): b is Extract<ConverseBlock, { type: 'text' }> => b.type === 'text')
      .map((b) => b.text)
      .join('\n')
      .trim();
    run.steps.push({
      ...modelStep(agent, 'ok', { stop_reason: response.stopReason, text: capText(text) }, null, started),
      name: response.model,
      input_tokens: response.usage.input_tokens,
      output_tokens: response.usage.output_tokens,
    });
    const calls = response.content.filter(
      (b): b is Extract<ConverseBlock, { type: 'tool_use' }> => b.type === 'tool_use',
    );
    if (!calls.length) {
      if (!text) return end('failed', null, `the model gave no answer (stop reason ${response.stopReason})`);
      return end(run.escalation ? 'escalated' : 'completed', text, null);
    }
    if (usage.input_tokens + usage.output_tokens > maxTokensPerRun) {
      return end('failed', null, `the run used more than ${maxTokensPerRun} tokens and was stopped`);
    }
    messages.push({ role: 'assistant', content: response.content });
    const results: ConverseBlock[] = [];
    for (const call of calls) results.push(await callTool(ctx, agent, box, call, run));
    messages.push({ role: 'user', content: results });
  }
  return end('failed', null, `the agent did not answer within ${maxSteps} model calls`);
}

function modelStep(
  agent: AgentRow,
  status: ExecutionStep['status'],
  output: unknown,
  error: string | null,
  started: number,
): ExecutionStep {
  return {
    type: 'model_call',
    name: agent.model ?? 'default',
    input: null,
    output: logJson(output),
    status,
    error,
    latency_ms: Math.round(performance.now() - started),
  };
}

/** The passages the answer cites with [n], with those numbers. */
function citedOnly(answer: string, citations: Citation[]): Citation[] {
  const used = new Set([...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
  return citations.filter((c) => used.has(c.n));
}
