export { CHANNELS, Conversation, Message } from './conversations.model.js';
export { conversationOperations } from './conversations.ops.js';
export {
  type NewMessage,
  appendMessage,
  bare,
  emailConversation,
  findOutboundByMessageIds,
  getConversation,
  listMessages,
  lockConversation,
  recordOutboundEmail,
  recordSentMessageId,
  setConversationStatus,
} from './conversations.service.js';
export {
  type SessionChannel,
  type SessionRow,
  closeAgentConversation,
  listAgentConversations,
  lockAgentConversation,
  openAgentConversation,
  recentMessages,
} from './agent-sessions.js';
