import type { RequestContext } from '../../kernel/context.js';
import type { ConverseMessage } from '../../kernel/ports.js';
import { thirdParty } from '../../kernel/untrusted.js';
import type { Escalation, Priority } from '../escalations/index.js';
import type { AgentRow, Citation, ExecutionStep } from './agents.model.js';
import { answerWithClaude } from './claude.js';
import { answerOffline } from './offline.js';
import { matchingRule } from './verticals.js';

/** What one run of an agent came to; the caller records it and opens `escalate` if set. */
export interface RunOutcome {
  mode: 'offline' | 'anthropic';
  status: 'completed' | 'escalated' | 'failed' | 'cancelled';
  answer: string | null;
  citations: Citation[];
  steps: ExecutionStep[];
  /** An escalation the caller must open (a vertical rule matched, or offline found nothing). */
  escalate: { reason: string; priority: Priority } | null;
  /** An escalation the model already opened through escalate_to_human. */
  escalation: Escalation | null;
  usage: { input_tokens: number; output_tokens: number };
  error: string | null;
}

export interface RunRequest {
  agent: AgentRow;
  question: string;
  /** The session's conversation; null for a one-shot execution. */
  conversationId: string | null;
  /** Earlier messages of the session, oldest first. */
  history: { direction: 'inbound' | 'outbound'; body: string }[];
}

const HANDOVER = 'I have passed your message to a member of our team, who will get back to you here.';
const EMERGENCY_ADVICE =
  'If this is an emergency, call your local emergency number now (112 in Europe, 911 in North America).';

/** The fixed answer of a handover: never an answer to the question itself. */
function handover(ruleName: string | null): string {
  if (ruleName === 'emergency') return `${EMERGENCY_ADVICE} ${HANDOVER}`;
  if (ruleName === 'medical_advice') return `I cannot give medical advice. ${HANDOVER} ${EMERGENCY_ADVICE}`;
  return HANDOVER;
}

/** Runs an agent on one question: its vertical's rules first, then Claude if configured, else offline answers. */
export async function runAgent(ctx: RequestContext, req: RunRequest): Promise<RunOutcome> {
  const { agent } = req;
  const mode = ctx.llm.converse ? 'anthropic' : 'offline';
  const usage = { input_tokens: 0, output_tokens: 0 };
  const rule = matchingRule(agent.vertical, req.question);
  if (rule) {
    const steps: ExecutionStep[] = [
      {
        type: 'rule',
        name: rule.name,
        input: null,
        output: JSON.stringify({ description: rule.description, priority: rule.priority }),
        status: 'ok',
        error: null,
        latency_ms: 0,
      },
    ];
    const reason = `${agent.vertical} rule ${rule.name}: ${rule.description}`;
    return {
      mode,
      status: 'escalated',
      answer: handover(rule.name),
      citations: [],
      steps,
      escalate: { reason: reason.slice(0, 500), priority: rule.priority },
      escalation: null,
      usage,
      error: null,
    };
  }
  if (ctx.llm.converse) {
    const converse = ctx.llm.converse.bind(ctx.llm);
    const history: ConverseMessage[] = req.history.map((m) => ({
      role: m.direction === 'inbound' ? 'user' : 'assistant',
      content: m.direction === 'inbound' ? thirdParty(m.body) : m.body,
    }));
    const run = await answerWithClaude(
      ctx,
      { ...ctx.llm, converse },
      agent,
      req.conversationId,
      mergeTurns(history),
      req.question,
    );
    return { mode, ...run, escalate: null };
  }
  const offline = await answerOffline(ctx, agent.knowledge_base_ids, req.question);
  if (offline.unanswered) {
    return {
      mode,
      status: 'escalated',
      answer: handover(null),
      citations: [],
      steps: offline.steps,
      escalate: { reason: `The agent could not answer: ${offline.unanswered}`, priority: 'normal' },
      escalation: null,
      usage,
      error: null,
    };
  }
  return {
    mode,
    status: 'completed',
    answer: offline.answer,
    citations: offline.citations,
    steps: offline.steps,
    escalate: null,
    escalation: null,
    usage,
    error: null,
  };
}

/** The Messages API wants turns to alternate and start with the user: consecutive ones are joined. */
function mergeTurns(history: ConverseMessage[]): ConverseMessage[] {
  const out: ConverseMessage[] = [];
  for (const m of history) {
    const last = out.at(-1);
    if (last && last.role === m.role) last.content = `${last.content as string}\n\n${m.content as string}`;
    else if (out.length || m.role === 'user') out.push({ ...m });
  }
  return out;
}
