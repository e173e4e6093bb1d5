export { type InboundEmail, type InboundSource, Reply } from './replies.model.js';
export { replyOperations } from './replies.ops.js';
export { receiveReply } from './replies.service.js';
export { MACHINE_LABELS } from './replies.model.js';
