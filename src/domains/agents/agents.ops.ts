import { z } from 'zod';
import { defineOperation } from '../../operations/define.js';
import {
  CursorInput,
  FreeFormValue,
  LimitInput,
  freeFormInput,
  pageOutput,
  toPageOutput,
} from '../../operations/inputs.js';
import { destructive, idempotentWrite, readOnly, write } from '../../operations/presets.js';
import {
  AGENT_STATUSES,
  Agent,
  EXECUTION_STATUSES,
  Execution,
  MessageResult,
  SESSION_CHANNELS,
  Session,
} from './agents.model.js';
import * as agents from './agents.service.js';
import * as executions from './executions.service.js';
import * as messages from './messages.service.js';
import * as sessions from './sessions.service.js';
import { VERTICALS } from './verticals.js';

const AgentId = z.string().min(1).max(64).describe('Agent id (agt_...)');
const SessionId = z.string().min(1).max(64).describe('Session id (cnv_...), as send_agent_message returned it');

const fields = {
  instructions: z
    .string()
    .trim()
    .min(1)
    .max(20_000)
    .describe("The system prompt; default: the vertical's, or a generic one"),
  model: z.string().trim().min(1).max(100).nullable().describe('Claude model id; null: the server default'),
  temperature: z.number().min(0).max(1).nullable().describe('0-1; null: the model default'),
  max_tokens: z.number().int().min(1).max(8192).nullable().describe('Upper bound on one answer, in tokens; null: 1024'),
  goal_template: z
    .string()
    .max(10_000)
    .nullable()
    .describe('What execute_agent asks, with {{variables}} filled from its input, e.g. "Answer {{question}}"'),
  tools: z
    .array(z.string().min(1).max(64))
    .max(50)
    .describe(
      "Operation names the agent may call (e.g. kb_search, escalate_to_human); each must be within this key's scopes. Default: the vertical's",
    ),
  knowledge_base_ids: z
    .array(z.string().min(1).max(64))
    .max(20)
    .describe('Knowledge bases of this workspace it answers from'),
  status: z.enum(AGENT_STATUSES).describe('active (default) or paused: a paused agent refuses messages'),
  vertical: z
    .enum(VERTICALS)
    .nullable()
    .describe(
      'A preset: sales, support, clinic (never gives medical advice: symptoms and emergencies go to a person), restaurant, transport',
    ),
};
const Name = z.string().trim().min(1).max(200).describe('Display name');
const optionalFields = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as {
  [K in keyof typeof fields]: z.ZodOptional<(typeof fields)[K]>;
};

const reads = { toolset: 'agents', scope: 'agents:read', annotations: readOnly } as const;

const listAgents = defineOperation({
  ...reads,
  name: 'list_agents',
  title: 'List agents',
  description:
    'List the conversational agents of a workspace, newest first, optionally only active or paused ones. Paginated with cursor.',
  input: z.object({
    status: z.enum(AGENT_STATUSES).optional().describe('Only this status'),
    cursor: CursorInput,
    limit: LimitInput,
  }),
  output: pageOutput('agents', Agent),
  http: { method: 'GET', path: '/agents' },
  handler: async (ctx, { cursor, limit, ...filters }) =>
    toPageOutput('agents', await agents.listAgents(ctx, filters, { cursor, limit })),
});

const getAgent = defineOperation({
  ...reads,
  name: 'get_agent',
  title: 'Get agent',
  description:
    'Read one agent: instructions, model settings, tools, knowledge bases, vertical and its escalation rules.',
  input: z.object({ agent_id: AgentId }),
  output: z.object({ agent: Agent }),
  http: { method: 'GET', path: '/agents/{agent_id}' },
  handler: async (ctx, { agent_id }) => ({ agent: await agents.getAgent(ctx, agent_id) }),
});

const createAgent = defineOperation({
  name: 'create_agent',
  title: 'Create agent',
  toolset: 'agents',
  scope: 'agents:write',
  description:
    'Create a conversational agent that answers customers from knowledge bases and may call some operations. A vertical ' +
    '(sales, support, clinic, restaurant, transport) supplies default instructions, tools and escalation rules. Fails with ' +
    "forbidden when a tool is beyond this key's scopes, not_found for a knowledge base not in the workspace.",
  input: z.object({ name: Name, ...optionalFields }),
  output: z.object({ agent: Agent, created: z.boolean() }),
  annotations: write,
  http: { method: 'POST', path: '/agents', status: 'created' },
  handler: async (ctx, input) => ({ agent: await agents.createAgent(ctx, input), created: true as const }),
});

const updateAgent = defineOperation({
  name: 'update_agent',
  title: 'Update agent',
  toolset: 'agents',
  scope: 'agents:write',
  description: 'Change some fields of an agent; fields left out stay as they are (null clears a nullable one).',
  input: z.object({ agent_id: AgentId, name: Name.optional(), ...optionalFields }),
  output: z.object({ agent: Agent }),
  annotations: idempotentWrite,
  http: { method: 'PATCH', path: '/agents/{agent_id}' },
  handler: async (ctx, { agent_id, ...input }) => ({ agent: await agents.updateAgent(ctx, agent_id, input, 'patch') }),
});

const replaceAgent = defineOperation({
  name: 'replace_agent',
  title: 'Replace agent',
  toolset: 'agents',
  scope: 'agents:write',
  mcp: false,
  description:
    "Set every field of an agent: fields left out take their default (the vertical's instructions and tools, null, active).",
  input: z.object({ agent_id: AgentId, name: Name, ...optionalFields }),
  output: z.object({ agent: Agent }),
  // It overwrites what it is not given: another caller's settings are not got back.
  annotations: { ...destructive, idempotentHint: true },
  http: { method: 'PUT', path: '/agents/{agent_id}' },
  handler: async (ctx, { agent_id, ...input }) => ({
    agent: await agents.updateAgent(ctx, agent_id, input, 'replace'),
  }),
});

const deleteAgent = defineOperation({
  name: 'delete_agent',
  title: 'Delete agent',
  toolset: 'agents',
  scope: 'agents:write',
  description:
    'Delete an agent. Its sessions (conversations), escalations and executions are kept and still name it; it can no longer be messaged.',
  input: z.object({ agent_id: AgentId }),
  output: z.object({ deleted: z.boolean().describe('Always true'), id: z.string() }),
  annotations: destructive,
  http: { method: 'DELETE', path: '/agents/{agent_id}' },
  handler: (ctx, { agent_id }) => agents.deleteAgent(ctx, agent_id),
});

const sendAgentMessage = defineOperation({
  name: 'send_agent_message',
  title: 'Send a message to an agent',
  toolset: 'agents',
  scope: 'agents:execute',
  description:
    "Send a customer's message to an agent and get its answer, in a session: omit session_id to start one, pass it back to " +
    'continue. The answer cites its sources ([n] markers, citations); when the agent must not or cannot answer, the ' +
    'conversation is escalated to a person (status escalated, escalation). Fails with payload_too_large over 32,000 ' +
    'characters, session_expired after 24 h without activity, conflict for a closed or full (1,000 messages) session, ' +
    'a paused agent, or a session still answering its previous message (one turn at a time: send the next once the ' +
    'answer has arrived), quota_exceeded when the monthly message quota is spent.',
  input: z.object({
    agent_id: AgentId,
    session_id: SessionId.optional(),
    content: z.string().min(1).max(1_000_000).describe('The message, at most 32,000 characters'),
    sender_id: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe('Who writes (your end-user id); default anonymous'),
    channel: z.enum(SESSION_CHANNELS).optional().describe('For a new session: chat (default), web, sms or whatsapp'),
  }),
  output: MessageResult,
  annotations: write,
  http: { method: 'POST', path: '/messages' },
  errors: ['payload_too_large', 'session_expired', 'quota_exceeded', 'upstream_error'],
  handler: (ctx, input) => messages.sendMessage(ctx, input),
});

const listAgentSessions = defineOperation({
  ...reads,
  name: 'list_agent_sessions',
  title: 'List agent sessions',
  description:
    'Agent sessions newest first: by default the active ones (open or escalated, with activity in the last 24 h). ' +
    'A session is a conversation: get_conversation reads its messages.',
  input: z.object({
    agent_id: AgentId.optional().describe('Only the sessions of this agent'),
    status: z.enum(['active', 'closed', 'all']).optional().describe('active (default), closed or all'),
    cursor: CursorInput,
    limit: LimitInput,
  }),
  output: pageOutput('sessions', Session),
  http: { method: 'GET', path: '/sessions' },
  handler: async (ctx, { cursor, limit, ...filters }) =>
    toPageOutput('sessions', await sessions.listSessions(ctx, filters, { cursor, limit })),
});

const closeAgentSession = defineOperation({
  name: 'close_agent_session',
  title: 'Close agent session',
  toolset: 'agents',
  scope: 'agents:execute',
  description:
    'Close a session that is no longer needed; a closed session takes no more messages. Closing it again changes nothing.',
  input: z.object({ session_id: SessionId }),
  output: z.object({ ok: z.boolean().describe('Always true'), session: Session }),
  annotations: idempotentWrite,
  http: { method: 'POST', path: '/sessions/close' },
  handler: async (ctx, { session_id }) => ({
    ok: true as const,
    session: await sessions.closeSession(ctx, session_id),
  }),
});

const executeAgent = defineOperation({
  name: 'execute_agent',
  title: 'Execute agent',
  toolset: 'agents',
  scope: 'agents:execute',
  description:
    'Run an agent once on its goal_template filled with input variables, outside any session. Returns the execution: ' +
    'answer, citations, every step (searches, model and tool calls), tokens and latency. Reports progress over MCP and ' +
    'stops when cancelled. Counts one against the monthly message quota (quota_exceeded when it is spent).',
  input: z.object({
    agent_id: AgentId,
    input: freeFormInput(FreeFormValue, { max: 50 }).optional().describe('Values of the goal_template {{variables}}'),
  }),
  output: z.object({ execution: Execution }),
  annotations: write,
  http: { method: 'POST', path: '/agents/execute' },
  errors: ['payload_too_large', 'quota_exceeded', 'upstream_error'],
  handler: async (ctx, { agent_id, input }) => ({
    execution: await executions.executeAgent(ctx, agent_id, input ?? {}),
  }),
});

const listAgentExecutions = defineOperation({
  ...reads,
  name: 'list_agent_executions',
  title: 'List agent executions',
  description:
    'The execution log of an agent, newest first: each run with its input, status, answer, citations, steps (searches, ' +
    'model calls, tool calls with arguments and results, capped; refused tool calls), tokens, latency and error. ' +
    'Tool results are third-party data.',
  input: z.object({
    agent_id: AgentId,
    status: z.enum(EXECUTION_STATUSES).optional().describe('Only this status'),
    cursor: CursorInput,
    limit: LimitInput,
  }),
  output: pageOutput('executions', Execution),
  http: { method: 'GET', path: '/agents/{agent_id}/executions' },
  handler: async (ctx, { agent_id, cursor, limit, ...filters }) =>
    toPageOutput('executions', await executions.listExecutions(ctx, agent_id, filters, { cursor, limit })),
});

export const agentOperations = [
  listAgents,
  getAgent,
  createAgent,
  updateAgent,
  replaceAgent,
  deleteAgent,
  sendAgentMessage,
  listAgentSessions,
  closeAgentSession,
  executeAgent,
  listAgentExecutions,
];
