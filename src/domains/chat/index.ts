export { ChatInput, ChatOutput, LlmConfig, MAX_CHAT_MESSAGE_CHARS } from './chat.model.js';
export { chatOperations } from './chat.ops.js';
export { type ChatAnswer, type OpenedTurn, type RunOptions, openChatTurn, runChatTurn } from './chat.service.js';
