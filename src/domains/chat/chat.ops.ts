import { defineOperation } from '../../operations/define.js';
import { write } from '../../operations/presets.js';
import { ChatInput, ChatOutput } from './chat.model.js';
import * as chat from './chat.service.js';

const chatCompletion = defineOperation({
  name: 'chat',
  title: 'Chat with the model',
  toolset: 'chat',
  scope: 'chat:write',
  description:
    'Send a message to the language model and get its whole answer. Without conversation_id a new chat conversation ' +
    'is started; with one, the model also sees the latest messages of that conversation. Both the message and the ' +
    'answer are stored (list_conversations, get_conversation). Returns conversation_id, the answer and token usage. ' +
    'Fails with not_configured when the server has no model (ANTHROPIC_API_KEY), upstream_error when the model fails ' +
    '(the message stays stored), conflict for a conversation that is not a chat, closed, an agent’s, or still ' +
    'answering its previous message (one turn at a time). Cancelling the call stops the model; the part of the answer ' +
    'received is stored, marked partial.',
  input: ChatInput,
  output: ChatOutput,
  annotations: { ...write, openWorldHint: true },
  http: { method: 'POST', path: '/chat/completions' },
  errors: ['conflict', 'upstream_error', 'not_configured'],
  handler: (ctx, input) => chat.completeChat(ctx, input),
});

export const chatOperations = [chatCompletion];
