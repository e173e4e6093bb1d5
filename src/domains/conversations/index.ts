export { CHANNELS, Conversation, Message } from './conversations.model.js';
export { conversationOperations } from './conversations.ops.js';
export {
  type NewMessage,
  appendMessage,
  sessionMessage,
  bare,
  deleteConversation,
  emailConversation,
  findOutboundByMessageIds,
  getConversation,
  listMessages,
  lockConversation,
  lockConversationForChat,
  recordOutboundEmail,
  recordSentMessageId,
  setConversationStatus,
  startChatConversation,
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
