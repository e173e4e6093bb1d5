import { z } from 'zod';
import { defineOperation } from '../../operations/define.js';
import { CursorInput, LimitInput, oneLine, pageOutput, toPageOutput } from '../../operations/inputs.js';
import { idempotentWrite, readOnly, write } from '../../operations/presets.js';
import { THIRD_PARTY_NOTE } from '../../kernel/untrusted.js';
import { Conversation, Message, getConversation, listMessages } from '../conversations/index.js';
import { Workspace } from '../tenancy/index.js';
import { ESCALATION_STATUSES, Escalation, EscalationSettings, PRIORITIES } from './escalations.model.js';
import * as escalations from './escalations.service.js';

const EscalationId = z.string().min(1).max(64).describe('Escalation id (esc_...)');

const escalateToHuman = defineOperation({
  name: 'escalate_to_human',
  title: 'Escalate to a human',
  toolset: 'escalations',
  scope: 'escalations:write',
  description:
    'Hand a conversation to a person when you should not or cannot go on: a hot lead, a complaint, a question you cannot ' +
    'answer, anything sensitive. The conversation becomes escalated and appears in the inbox (list_escalations). ' +
    'Escalating a conversation that already waits for a person adds your reason and raises its priority. ' +
    'Returns the escalation; created=false when an open one was raised.',
  input: z.object({
    conversation_id: z.string().min(1).max(64).describe('Conversation id (cnv_...), e.g. from list_conversations'),
    reason: oneLine(z.string().trim().min(1).max(500)).describe('Why a person is needed, in one line'),
    priority: z
      .enum(PRIORITIES)
      .optional()
      .describe('low, normal, high or urgent; default normal, or one step up when already escalated'),
  }),
  output: z.object({ escalation: Escalation, created: z.boolean() }),
  annotations: write,
  http: { method: 'POST', path: '/escalations', status: 'created' },
  handler: (ctx, { conversation_id, reason, priority }) =>
    escalations.escalateToHuman(ctx, { conversationId: conversation_id, reason, priority }),
});

const listEscalations = defineOperation({
  name: 'list_escalations',
  title: 'List escalations',
  toolset: 'escalations',
  scope: 'escalations:read',
  description:
    'The inbox of conversations handed to people, newest first. Filter by status (open or resolved), priority, assignee ' +
    'or conversation. Paginated with cursor.',
  input: z.object({
    status: z.enum(ESCALATION_STATUSES).optional().describe('Only open or only resolved escalations'),
    priority: z.enum(PRIORITIES).optional().describe('Only this priority'),
    assignee: z.string().min(1).max(200).optional().describe('Only those assigned to this person'),
    conversation_id: z.string().min(1).max(64).optional().describe('Only those of this conversation'),
    cursor: CursorInput,
    limit: LimitInput,
  }),
  output: pageOutput('escalations', Escalation),
  annotations: readOnly,
  http: { method: 'GET', path: '/escalations' },
  handler: async (ctx, { cursor, limit, ...filters }) =>
    toPageOutput('escalations', await escalations.listEscalations(ctx, filters, { cursor, limit })),
});

const getEscalation = defineOperation({
  name: 'get_escalation',
  title: 'Get escalation',
  toolset: 'escalations',
  scope: 'escalations:read',
  description: `Read an escalation with its conversation and the conversation's first messages (get_conversation pages through the rest). ${THIRD_PARTY_NOTE}`,
  input: z.object({ escalation_id: EscalationId }),
  output: z.object({
    escalation: Escalation,
    conversation: Conversation,
    messages: z.array(Message),
    has_more_messages: z.boolean(),
  }),
  annotations: readOnly,
  http: { method: 'GET', path: '/escalations/{escalation_id}' },
  handler: async (ctx, { escalation_id }) => {
    const escalation = await escalations.getEscalation(ctx, escalation_id);
    const conversation = await getConversation(ctx, escalation.conversation_id);
    const page = await listMessages(ctx, conversation.id, { limit: 50 });
    return { escalation, conversation, messages: page.items, has_more_messages: page.has_more };
  },
});

const assignEscalation = defineOperation({
  name: 'assign_escalation',
  title: 'Assign escalation',
  toolset: 'escalations',
  scope: 'escalations:write',
  description:
    'Give an open escalation to a person (a name or an address), or to no one with null. Fails with conflict when it is resolved.',
  input: z.object({
    escalation_id: EscalationId,
    assignee: oneLine(z.string().trim().min(1).max(200)).nullable().describe('Who handles it; null to unassign'),
  }),
  output: z.object({ escalation: Escalation }),
  annotations: idempotentWrite,
  http: { method: 'POST', path: '/escalations/{escalation_id}/assign' },
  handler: async (ctx, { escalation_id, assignee }) => ({
    escalation: await escalations.assignEscalation(ctx, escalation_id, assignee),
  }),
});

const resolveEscalation = defineOperation({
  name: 'resolve_escalation',
  title: 'Resolve escalation',
  toolset: 'escalations',
  scope: 'escalations:resolve',
  description:
    'Close an escalation once a person has handled it, saying how; the conversation goes back to open. For people: agent ' +
    'keys are not given this scope. Fails with conflict when it is already resolved.',
  input: z.object({
    escalation_id: EscalationId,
    resolution: z.string().trim().min(1).max(2000).describe('What was done'),
  }),
  output: z.object({ escalation: Escalation }),
  annotations: write,
  http: { method: 'POST', path: '/escalations/{escalation_id}/resolve' },
  handler: async (ctx, { escalation_id, resolution }) => ({
    escalation: await escalations.resolveEscalation(ctx, escalation_id, resolution),
  }),
});

const updateEscalationSettings = defineOperation({
  name: 'update_escalation_settings',
  title: 'Update escalation settings',
  toolset: 'admin',
  scope: 'admin',
  mcp: false,
  description:
    'Set where escalation notifications go: each escalation then sends a plain email to notify_email through the ' +
    "workspace's sender (never for test workspaces). Replaces the whole escalation settings object.",
  input: z.object({ escalations: EscalationSettings.describe('The escalation settings') }),
  output: z.object({ workspace: Workspace }),
  annotations: idempotentWrite,
  http: { method: 'PUT', path: '/workspaces/{workspace_id}/escalations' },
  handler: async (ctx, { escalations: settings }) => ({
    workspace: await escalations.updateEscalationSettings(ctx, settings),
  }),
});

export const escalationOperations = [
  escalateToHuman,
  listEscalations,
  getEscalation,
  assignEscalation,
  resolveEscalation,
  updateEscalationSettings,
];
