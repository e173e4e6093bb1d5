import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { AgentExecutionTable, AgentTable } from '../../adapters/db/schema.js';
import type { Actor } from '../../kernel/context.js';
import { ActorOutput, Timestamp } from '../../operations/inputs.js';
import { Escalation, PRIORITIES } from '../escalations/index.js';
import { PRESETS, VERTICALS } from './verticals.js';

export const AGENT_STATUSES = ['active', 'paused'] as const;
export const SESSION_CHANNELS = ['chat', 'web', 'sms', 'whatsapp'] as const;

/** Limits from the second seed: message size, messages per session, inactivity before a session expires. */
export const MAX_MESSAGE_CHARS = 32_000;
export const MAX_SESSION_MESSAGES = 1000;
export const SESSION_IDLE_MS = 24 * 60 * 60 * 1000;
/**
 * The longest an agent run may take: 8 model calls with the SDK's 60 s timeout and retries stay well
 * under it. An execution still `running` after this is one whose process died (recoverStaleRuns).
 */
export const RUN_TIME_CAP_MS = 15 * 60 * 1000;

export const EscalationRuleOutput = z.object({
  name: z.string(),
  description: z.string(),
  priority: z.enum(PRIORITIES),
});

export const Agent = z.object({
  id: z.string().describe('Agent id (agt_...)'),
  name: z.string(),
  instructions: z.string().describe('The system prompt'),
  model: z.string().nullable().describe('Claude model id; null uses the server default'),
  temperature: z.number().nullable(),
  max_tokens: z.number().int().nullable().describe('Upper bound on one answer, in tokens; null uses 1024'),
  goal_template: z.string().nullable().describe('What execute_agent asks, with {{variables}} filled from its input'),
  variables: z.array(z.string()).describe('The {{variables}} of goal_template'),
  tools: z.array(z.string()).describe("Operations the agent may call (always within the running key's scopes)"),
  knowledge_base_ids: z.array(z.string()).describe('Knowledge bases it answers from'),
  status: z.enum(AGENT_STATUSES).describe('active answers; paused refuses messages'),
  vertical: z.enum(VERTICALS).nullable().describe('The preset it started from'),
  escalation_rules: z
    .array(EscalationRuleOutput)
    .describe("The vertical's rules: messages handed to a person instead of being answered"),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Agent = z.infer<typeof Agent>;

export const AGENT_COLUMNS = [
  'id',
  'name',
  'instructions',
  'model',
  'temperature',
  'max_tokens',
  'goal_template',
  'tools',
  'knowledge_base_ids',
  'status',
  'vertical',
  'deleted_at',
  'created_at',
  'updated_at',
] as const;
export type AgentRow = Pick<Selectable<AgentTable>, (typeof AGENT_COLUMNS)[number]>;

const VARIABLE = /\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g;
export const templateVariables = (template: string | null): string[] =>
  template ? [...new Set([...template.matchAll(VARIABLE)].map((m) => m[1]!))] : [];

/** Fills {{variables}}; a variable without a value is an error naming it. */
export function fillTemplate(template: string, values: Record<string, unknown>): { text: string; missing: string[] } {
  const missing: string[] = [];
  const text = template.replace(VARIABLE, (_, name: string) => {
    const value = values[name];
    if (value === undefined || value === null) {
      missing.push(name);
      return '';
    }
    return String(value);
  });
  return { text, missing };
}

export function toAgent({ deleted_at: _, ...row }: AgentRow): Agent {
  return {
    ...row,
    temperature: row.temperature === null ? null : Number(row.temperature),
    variables: templateVariables(row.goal_template),
    escalation_rules: row.vertical
      ? PRESETS[row.vertical].rules.map(({ name, description, priority }) => ({ name, description, priority }))
      : [],
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export const Session = z.object({
  id: z.string().describe('Session id: the id of its conversation (cnv_...), usable with get_conversation'),
  agent_id: z.string(),
  channel: z.enum(SESSION_CHANNELS),
  sender_id: z.string().describe('Who the agent talks to, as the caller identified them'),
  status: z.enum(['open', 'escalated', 'closed']),
  message_count: z.number().int().describe('Messages either way; at most 1,000'),
  last_message_at: Timestamp.nullable(),
  expires_at: Timestamp.nullable().describe('When it expires without activity (24 h); null once closed'),
  created_at: Timestamp,
});
export type Session = z.infer<typeof Session>;

export const Citation = z.object({
  n: z.number().int().describe('The [n] marker in the answer'),
  document_id: z.string(),
  document_name: z.string(),
  knowledge_base_id: z.string(),
  chunk_id: z.string(),
  location: z
    .record(z.string(), z.unknown())
    .describe('Where the passage is: page, heading_path, rows, json_path as they apply'),
  snippet: z.string().describe('The passage, as third-party text'),
});
export type Citation = z.infer<typeof Citation>;

export const Usage = z.object({
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
});

export const EXECUTION_STATUSES = ['running', 'completed', 'escalated', 'failed', 'cancelled'] as const;

export const ExecutionStep = z.object({
  type: z.enum(['search', 'rule', 'model_call', 'tool_call']),
  name: z.string().describe('The tool or model, or the rule that matched'),
  input: z.string().nullable().describe('Arguments, as JSON (capped)'),
  output: z.string().nullable().describe('Result, as JSON (capped); tool results are third-party data'),
  status: z.enum(['ok', 'error', 'refused']),
  error: z.string().nullable(),
  input_tokens: z.number().int().optional(),
  output_tokens: z.number().int().optional(),
  latency_ms: z.number().int(),
});
export type ExecutionStep = z.infer<typeof ExecutionStep>;

export const Execution = z.object({
  id: z.string().describe('Execution id (exe_...)'),
  agent_id: z.string(),
  session_id: z.string().nullable().describe('The session (conversation) of a message run; null for execute_agent'),
  message_id: z.string().nullable().describe('The customer message it answered'),
  kind: z.enum(['message', 'execute']),
  mode: z
    .enum(['offline', 'anthropic'])
    .describe('offline: extractive answers from the knowledge bases; anthropic: Claude'),
  status: z.enum(EXECUTION_STATUSES),
  input: z.record(z.string(), z.unknown()).describe('What the run was given (message text capped)'),
  answer: z.string().nullable(),
  citations: z.array(Citation),
  steps: z.array(ExecutionStep).describe('Each search, rule, model call and tool call, in order'),
  escalation_id: z.string().nullable(),
  escalation_reason: z.string().nullable(),
  usage: Usage,
  latency_ms: z.number().int().nullable(),
  error: z.string().nullable(),
  actor: ActorOutput,
  created_at: Timestamp,
  finished_at: Timestamp.nullable(),
});
export type Execution = z.infer<typeof Execution>;

export const EXECUTION_COLUMNS = [
  'id',
  'agent_id',
  'conversation_id',
  'message_id',
  'kind',
  'mode',
  'status',
  'input',
  'answer',
  'citations',
  'steps',
  'escalation_id',
  'escalation_reason',
  'input_tokens',
  'output_tokens',
  'latency_ms',
  'error',
  'actor_type',
  'actor_id',
  'created_at',
  'finished_at',
] as const;
type ExecutionRow = Pick<Selectable<AgentExecutionTable>, (typeof EXECUTION_COLUMNS)[number]>;

export function toExecution(row: ExecutionRow): Execution {
  return {
    id: row.id,
    agent_id: row.agent_id,
    session_id: row.conversation_id,
    message_id: row.message_id,
    kind: row.kind,
    mode: row.mode,
    status: row.status,
    input: row.input,
    answer: row.answer,
    citations: row.citations as Citation[],
    steps: row.steps as ExecutionStep[],
    escalation_id: row.escalation_id,
    escalation_reason: row.escalation_reason,
    usage: { input_tokens: row.input_tokens, output_tokens: row.output_tokens },
    latency_ms: row.latency_ms,
    error: row.error,
    actor: { type: row.actor_type, id: row.actor_id } as Actor,
    created_at: row.created_at.toISOString(),
    finished_at: row.finished_at?.toISOString() ?? null,
  };
}

export const MessageResult = z.object({
  id: z.string().describe("The agent's answer message id (msg_...)"),
  session_id: z.string().describe('Pass it back to continue the session'),
  status: z
    .enum(['completed', 'escalated'])
    .describe('completed: answered; escalated: handed to a person (the answer says so)'),
  answer: z.string(),
  citations: z.array(Citation).describe('Sources of the answer, numbered as its [n] markers'),
  usage: Usage,
  escalation: Escalation.nullable().describe('The escalation opened or raised, when the agent handed over'),
  execution_id: z.string().describe('Its record in list_agent_executions'),
});
export type MessageResult = z.infer<typeof MessageResult>;
