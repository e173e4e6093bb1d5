import type { RequestContext } from '../../../kernel/context.js';
import type { InboundEmail, InboundSource } from '../replies.model.js';

export type { InboundEmail, InboundSource };

/** What stores a received email (the replies domain's `receiveReply`): idempotent on the Message-ID. */
export type ReplyReceiver<R = unknown> = (ctx: RequestContext, email: InboundEmail, via: InboundSource) => Promise<R>;
