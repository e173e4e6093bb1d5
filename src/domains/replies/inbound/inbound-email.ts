import type { RequestContext } from '../../../kernel/context.js';

// The contract between the ways mail comes in (JSON, the raw-MIME hook, IMAP) and the replies domain
// that threads, stores and classifies it. The replies domain's `receiveReply` takes an InboundEmail.

/** One received email, already parsed; every id is without its angle brackets. */
export interface InboundEmail {
  messageId: string | null;
  inReplyTo: string | null;
  /** Oldest first. */
  references: string[];
  from: { address: string; name: string | null };
  to: string[];
  subject: string | null;
  /** Plain text; for HTML-only mail, the HTML converted to text. */
  text: string;
  /** Names lower-cased; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** Top-level MIME type, e.g. `multipart/report`. */
  contentType: string | null;
  /** From the Date header, else the IMAP internal date. */
  receivedAt: Date | null;
  attachmentCount: number;
}

/** How an email reached Switchboard. */
export type InboundSource = 'api' | 'hook' | 'imap';

/** What stores a received email (the replies domain's `receiveReply`): idempotent on the Message-ID. */
export type ReplyReceiver<R = unknown> = (ctx: RequestContext, email: InboundEmail, via: InboundSource) => Promise<R>;
