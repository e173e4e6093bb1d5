export { type InboundEmail, type InboundSource, Reply } from './replies.model.js';
export { replyOperations } from './replies.ops.js';
export { receiveReply } from './replies.service.js';
export {
  IMAP_POLL_JOB,
  MAX_RAW_EMAIL_BYTES,
  getInboundSettings,
  inboundJobs,
  inboundOperations,
  parseRawEmail,
  pollMailbox,
  receiveHookEmail,
  removeInboundMailbox,
  reviveStalledPolls,
  rotateInboundToken,
  setInboundMailbox,
  workspaceForHookToken,
} from './inbound/index.js';
export { MACHINE_LABELS, REPLY_LABELS } from './classify/index.js';
