// Inbound mail (raw-MIME hook, IMAP polling): what the replies domain's index.ts re-exports.
import { imapPollJob } from './imap-poll.job.js';
import { receiveReply } from '../replies.service.js';

export type { ReplyReceiver } from './inbound-email.js';
export { parseRawEmail, MAX_RAW_EMAIL_BYTES } from './mime.js';
export { inboundOperations } from './inbound.ops.js';
export { receiveHookEmail } from './hook.service.js';
export { rotateInboundToken, workspaceForHookToken } from './hook-tokens.service.js';
export { getInboundSettings, removeInboundMailbox, setInboundMailbox } from './mailboxes.service.js';
export { IMAP_POLL_JOB, pollMailbox, reviveStalledPolls } from './imap-poll.job.js';

/** The jobs inbound mail runs in the background. */
export const inboundJobs = [imapPollJob(receiveReply)] as const;
