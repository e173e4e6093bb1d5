import { AppError } from '../../../kernel/errors.js';
import type { ReplyReceiver } from './inbound-email.js';

// TEMPORARY until the replies domain's receiveReply lands on main: then this file goes and the job and
// the hook call receiveReply.
export const receiveReply: ReplyReceiver<{ id: string }> = async () => {
  throw new AppError('unavailable', 'Replies are not stored yet: the replies domain is not merged');
};
