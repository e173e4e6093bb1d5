import { z } from 'zod';
import { defineOperation } from '../../operations/define.js';
import { CursorInput, LimitInput, pageOutput, toPageOutput } from '../../operations/inputs.js';
import { destructive, readOnly } from '../../operations/presets.js';
import { THIRD_PARTY_NOTE } from '../../kernel/untrusted.js';
import { CHANNELS, CONVERSATION_STATUSES, Conversation, Message } from './conversations.model.js';
import * as conversations from './conversations.service.js';

const ConversationId = z.string().min(1).max(64).describe('Conversation id (cnv_...)');

const listConversations = defineOperation({
  name: 'list_conversations',
  title: 'List conversations',
  toolset: 'conversations',
  scope: 'conversations:read',
  description:
    'List conversations, newest first: email threads with prospects (outreach and replies), agent sessions (chat, web, sms, whatsapp) and chats with the model (channel chat, no agent). ' +
    'Filter by channel, status (escalated = waiting for a person) or prospect. Paginated with cursor.',
  input: z.object({
    channel: z.enum(CHANNELS).optional().describe('Only this channel'),
    status: z.enum(CONVERSATION_STATUSES).optional().describe('Only this status'),
    prospect_id: z.string().min(1).max(64).optional().describe('Only conversations with this prospect'),
    cursor: CursorInput,
    limit: LimitInput,
  }),
  output: pageOutput('conversations', Conversation),
  annotations: readOnly,
  http: { method: 'GET', path: '/conversations' },
  handler: async (ctx, { cursor, limit, ...filters }) =>
    toPageOutput('conversations', await conversations.listConversations(ctx, filters, { cursor, limit })),
});

const getConversation = defineOperation({
  name: 'get_conversation',
  title: 'Get conversation',
  toolset: 'conversations',
  scope: 'conversations:read',
  description: `Read a conversation and its messages in order, oldest first (one page; pass next_cursor for more). ${THIRD_PARTY_NOTE}`,
  input: z.object({ conversation_id: ConversationId, cursor: CursorInput, limit: LimitInput }),
  output: z.object({
    conversation: Conversation,
    messages: z.array(Message),
    next_cursor: z.string().nullable().describe('Pass as cursor to get the next messages; null on the last page.'),
    has_more: z.boolean(),
  }),
  annotations: readOnly,
  http: { method: 'GET', path: '/conversations/{conversation_id}' },
  handler: async (ctx, { conversation_id, cursor, limit }) => {
    const conversation = await conversations.getConversation(ctx, conversation_id);
    const page = await conversations.listMessages(ctx, conversation_id, { cursor, limit });
    return { conversation, messages: page.items, next_cursor: page.next_cursor, has_more: page.has_more };
  },
});

const deleteConversation = defineOperation({
  name: 'delete_conversation',
  title: 'Delete conversation',
  toolset: 'conversations',
  scope: 'chat:write',
  description:
    'Delete a chat conversation with all its messages; returns { deleted: true, id }. ' +
    'Fails with conflict for an email thread (it is the outreach record), an agent session (close it instead) and a conversation escalated to a person (resolve the escalation first).',
  input: z.object({ conversation_id: ConversationId }),
  output: z.object({
    deleted: z.boolean().describe('Always true: the conversation and its messages are gone'),
    id: z.string().describe('The id of the deleted conversation'),
  }),
  annotations: destructive,
  http: { method: 'DELETE', path: '/conversations/{conversation_id}' },
  errors: ['conflict'],
  handler: (ctx, { conversation_id }) => conversations.deleteConversation(ctx, conversation_id),
});

export const conversationOperations = [listConversations, getConversation, deleteConversation];
