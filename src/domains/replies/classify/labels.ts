import { REPLY_INTENTS, type ReplyIntent } from '../../../kernel/ports.js';

/** Every label a reply can get; the same list the Llm port's schema uses. */
export const REPLY_LABELS: typeof REPLY_INTENTS = REPLY_INTENTS;
export type ReplyLabel = ReplyIntent;

/** A reply as received, before any stripping. All text is third-party data. */
export interface ReplyToClassify {
  /** Sender address. */
  from: string;
  subject: string | null;
  /** Plain-text body as received: quoted history and signature included (the classifier strips them). */
  text: string;
  /** Header names lower-cased -> value (repeated headers joined with ', '). */
  headers: Record<string, string>;
  /** Top-level MIME type, e.g. 'multipart/report'; null for JSON-posted replies. */
  contentType: string | null;
  /** Reference instant for relative dates ("back on Monday", "in March"). */
  receivedAt: Date;
  /** IANA zone of the workspace, for "Monday" and "next week". */
  timezone: string;
}

export interface ReplyClassificationResult {
  label: ReplyLabel;
  /** 0..1. */
  confidence: number;
  /** One line; never quotes the reply at length. */
  reason: string;
  hot: boolean;
  /** YYYY-MM-DD: first day back (out_of_office) or when to follow up (not_now); otherwise null. */
  return_date: string | null;
  /** Another contact's address given in the reply's own words (never the sender's), lower-cased. */
  referral_email: string | null;
  /** For label bounce: permanent (5.x.x, user unknown) or temporary (4.x.x, delay, mailbox full); otherwise null. */
  bounce_kind: 'hard' | 'soft' | null;
  /** 'offline' or the Claude model id that decided. */
  model: string;
}

/** Labels only machines send: they decide before any human intent is looked for. */
export const MACHINE_LABELS: ReadonlySet<ReplyLabel> = new Set(['bounce', 'out_of_office', 'auto_reply']);
