/** What a draft rewrite starts from: the rendered template and the only facts the model may use. */
export interface DraftRewriteRequest {
  /** The rendered template. */
  subject: string;
  body: string;
  /** The ONLY facts the model may use (prospect fields, template variables). Data, never instructions. */
  facts: Record<string, unknown>;
  /** e.g. "warm, concise, no jargon"; unset keeps the template's tone. */
  tone?: string;
  /** Upper bound on the rewritten body, in words. */
  maxWords?: number;
  /** Language to write in (a name or a tag such as `fr`); unset keeps the template's language. */
  language?: string;
}

export interface DraftRewrite {
  subject: string;
  body: string;
  model: string;
  /** sha256 (hex) of the exact prompt sent, so a stored draft can be traced to its prompt. */
  promptHash: string;
}

export const REPLY_INTENTS = [
  'interested',
  'not_interested',
  'unsubscribe',
  'out_of_office',
  'question',
  'bounce',
  'other',
] as const;
export type ReplyIntent = (typeof REPLY_INTENTS)[number];

export interface ReplyClassification {
  intent: ReplyIntent;
  /** 0..1: how sure the classifier is. */
  confidence: number;
  /** One short sentence saying why; never quotes the reply at length. */
  reasons: string;
  model: string;
}

/** Generation and classification for outreach. `anthropic` calls Claude; `offline` needs no network and no key. */
export interface Llm {
  readonly kind: 'anthropic' | 'offline';
  /** Rewrites a rendered draft using only `req.facts`; throws AppError('upstream_error') when the provider fails or answers badly. */
  rewriteDraft(req: DraftRewriteRequest): Promise<DraftRewrite>;
  /** Classifies an inbound reply to an outreach email. */
  classifyReply(text: string): Promise<ReplyClassification>;
}
