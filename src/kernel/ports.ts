// The outside world as the domains see it. Adapters implement these; nothing here imports an adapter.
import type { Kysely } from 'kysely';
import type { Database } from '../adapters/db/schema.js';
import type { Logger } from 'pino';
import type { Actor, Principal, Services, Workspace } from './context.js';

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

/** The reply taxonomy (issue #11). The replies domain re-exports it as `REPLY_LABELS`. */
export const REPLY_INTENTS = [
  'interested',
  'meeting_request',
  'question',
  'not_now',
  'not_interested',
  'unsubscribe',
  'out_of_office',
  'referral',
  'bounce',
  'auto_reply',
  'other',
] as const;
export type ReplyIntent = (typeof REPLY_INTENTS)[number];

/** What a model is shown of a reply. Every text field is third-party data, never instructions. */
export interface ReplyClassificationRequest {
  /** The sender's address: never a valid `referral_email`. */
  from: string;
  subject: string | null;
  /** The reply's own words: quoted history and signature already removed. */
  text: string;
  /** The day the reply arrived, `YYYY-MM-DD` in `timezone`: relative dates resolve from it. */
  receivedOn: string;
  /** IANA zone of the workspace, e.g. `Europe/Paris`. */
  timezone: string;
}

/** A model's verdict on a reply, already checked against the schema. */
export interface ReplyClassification {
  label: ReplyIntent;
  /** 0..1: how sure the classifier is. */
  confidence: number;
  /** One short line saying why; never quotes the reply at length. */
  reason: string;
  hot: boolean;
  /** A real date, `YYYY-MM-DD`, or null. */
  return_date: string | null;
  /** A syntactically valid address other than the sender's, or null. */
  referral_email: string | null;
  /** The model id that answered. */
  model: string;
}

/** Generation and classification for outreach. `anthropic` calls Claude; `offline` needs no network and no key. */
export interface Llm {
  readonly kind: 'anthropic' | 'offline';
  /** Rewrites a rendered draft using only `req.facts`; throws AppError('upstream_error') when the provider fails or answers badly. */
  rewriteDraft(req: DraftRewriteRequest): Promise<DraftRewrite>;
  /**
   * Classifies a reply with a model. Only a model-backed Llm has it: without it the replies domain
   * uses its own offline rules. Output that breaks the schema is asked for once more; after that,
   * and when the provider fails, it throws AppError('upstream_error').
   */
  classifyReply?(req: ReplyClassificationRequest): Promise<ReplyClassification>;
  /**
   * One turn of an agent's tool-use conversation (not streamed). Only a model-backed Llm has it:
   * without it agents answer offline from their knowledge bases. Throws AppError('upstream_error').
   */
  converse?(req: ConverseRequest): Promise<ConverseResponse>;
  /**
   * Chat (see "Chat: streaming answers" below). Only a model-backed Llm has it: without a model the
   * chat domain answers `not_configured` before storing anything, never an invented answer.
   */
  streamChat?(req: ChatRequest): AsyncIterable<ChatStreamEvent>;
}

// --- Agent conversations: tool use (src/domains/agents) ---------------------------------------

/** A tool offered to the model: one of Switchboard's operations. */
export interface AgentToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the tool's input. */
  input_schema: Record<string, unknown>;
}

export type ConverseBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean };

export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: string | ConverseBlock[];
}

export interface ConverseRequest {
  /** Unset: the configured generation model. */
  model?: string | undefined;
  system: string;
  messages: ConverseMessage[];
  tools: AgentToolSpec[];
  maxTokens: number;
  temperature?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface ConverseResponse {
  /** Text and tool_use blocks, in the model's order. */
  content: ConverseBlock[];
  stopReason: string;
  usage: { input_tokens: number; output_tokens: number };
  model: string;
}

/**
 * Switchboard's own operations as an agent run calls them: through the invoker, so scope, tenancy
 * and input checks apply exactly as for any caller. Implemented by the operation registry.
 */
export interface OperationCaller {
  /** The MCP workspace operations among `names` that `principal` may call, as model tools (no workspace_id). */
  tools(principal: Principal, names: readonly string[]): AgentToolSpec[];
  /** Calls one operation as `actor`; throws AppError as the operation would. */
  call(
    principal: Principal,
    name: string,
    args: Record<string, unknown>,
    opts: { actor: Actor; requestId: string; log: Logger; signal?: AbortSignal | undefined },
  ): Promise<unknown>;
}

/** Turns texts into vectors. `kind` lets providers that distinguish them (Voyage) embed queries and documents differently. */
export interface Embedder {
  readonly model: string;
  embed(texts: string[], kind: 'document' | 'query'): Promise<number[][]>;
}

export interface OutgoingEmail {
  from: { email: string; name?: string };
  /** One recipient. */
  to: string;
  replyTo?: string;
  subject: string;
  /** Plain-text body. */
  text: string;
  html?: string;
  /** Extra headers, e.g. List-Unsubscribe, List-Unsubscribe-Post, X-Switchboard-Draft. */
  headers: Record<string, string>;
  /** Stable per message: providers that support it dedupe on it (Resend's Idempotency-Key); also used as Message-ID seed. */
  idempotencyKey: string;
  tags?: Record<string, string>;
}

export type MailProvider = 'smtp' | 'resend' | 'sink';

export interface SentEmail {
  provider: MailProvider;
  providerMessageId: string;
  /** The RFC 5322 Message-ID it went out with, when the provider tells it at once (SMTP, the sink); Resend reports it later. */
  messageId?: string;
}

/**
 * Sends one email. Failures are `AppError`s: `invalid_request` for an email that can never be sent
 * as given, `upstream_error` for the provider, with `details.permanent` telling a retry apart from
 * a rejection (see `SendFailureDetails`).
 */
export interface MailSender {
  readonly name: MailProvider;
  send(email: OutgoingEmail): Promise<SentEmail>;
  close?(): Promise<void>;
}

/**
 * What a mail provider reports about an email it sent, in Switchboard's words: each provider's
 * adapter translates its own webhook into this, so outreach knows no provider's format.
 */
export type DeliveryReport = {
  provider: MailProvider;
  /** The provider's id of this report, the same on every redelivery of it: reports apply once. */
  reportId: string;
  /** The provider's id of the email (`SentEmail.providerMessageId`). */
  providerMessageId: string;
  /** The email's RFC 5322 Message-ID, when the report carries it: replies thread on it. */
  messageId?: string | null;
} & (
  | { type: 'email.delivered' | 'email.complained' | 'email.opened' }
  | { type: 'email.bounced'; bounce: { kind: 'hard' | 'soft' | 'undetermined'; message: string | null } }
  | { type: 'email.clicked'; url: string }
);

/** `details` of every `upstream_error` a sender throws. */
export interface SendFailureDetails {
  [key: string]: unknown;
  provider: MailProvider;
  /** True when sending the same message again cannot succeed (550 mailbox unavailable, 422 validation). */
  permanent: boolean;
  /** SMTP reply code, when the server gave one. */
  smtp_code?: number;
  /** HTTP status, when an HTTP API answered. */
  status?: number;
  /** What the provider asked us to wait before trying again, in seconds. */
  retry_after_s?: number;
}

/**
 * Every background job, with its payload. Empty here on purpose: each domain adds its own jobs from
 * its `*.job.ts` (declaration merging), so the job map is owned by the domains that run the jobs.
 * Payloads carry ids only: the database holds the rest.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by the domains through declaration merging
export interface JobPayloads {}
export type JobName = keyof JobPayloads;

export interface JobContext {
  /** 1 on the first try; a crash or a thrown error leads to another try, up to the retry limit. */
  attempt: number;
  lastAttempt: boolean;
}

/** A job a domain runs in the background: declared in its `*.job.ts`, listed in its `index.ts`. */
export interface JobDefinition<N extends JobName = JobName> {
  name: N;
  /** Must be idempotent: a crashed or timed-out try runs again. */
  run(services: Services, log: Logger, data: JobPayloads[N], job: JobContext): Promise<void>;
}

/** Durable work. A job is enqueued inside the transaction that makes it necessary: it exists exactly when the change does. */
export interface JobQueue {
  /** How long a job may run before it is presumed crashed and tried again. */
  readonly timeoutMs: number;
  /** Enqueues in the caller's transaction. `startAfter` delays the job; `singletonKey` labels it (it does not collapse duplicates: handlers are idempotent instead). */
  enqueue<N extends JobName>(
    trx: Kysely<Database>,
    name: N,
    data: JobPayloads[N],
    opts?: { singletonKey?: string; startAfter?: Date },
  ): Promise<void>;
}

/**
 * Seals secrets kept in the database (mailbox passwords) with the server key. `context` names what
 * the secret belongs to and must be the same to open it. Without a key (`available` false), both
 * fail with `invalid_request` naming SWITCHBOARD_SECRET_KEY.
 */
export interface SecretBox {
  readonly available: boolean;
  seal(plaintext: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}

/** How transports resolve presented API keys; a key is forgotten after it is revoked or rotated. */
export interface KeyResolver {
  authenticate(presented: string): Promise<Principal | null>;
  forget(keyId: string): void;
  /** Called after an organization-wide change its keys carry (its rate limits). */
  forgetOrganization(organizationId: string): void;
}

/** How calls resolve `workspace_id` (ungranted = not found); a workspace is forgotten after its row changes. */
export interface WorkspaceResolver {
  resolve(db: Kysely<Database>, principal: Principal, idOrSlug: string | undefined): Promise<Workspace>;
  forget(workspaceId: string): void;
}

/** Resolves a host name to its addresses (the system resolver; tests inject their own). */
export type HostResolver = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>;

/** How outgoing webhooks are delivered. */
export interface WebhookSettings {
  /** Also allow http and loopback, private, link-local and other non-public addresses (local receivers, tests). */
  allowPrivate: boolean;
  /** One attempt's limit, connection and response included. */
  timeoutMs: number;
  /** Waits before each retry; once used up, a delivery is failed. */
  retryScheduleMs: number[];
  /** Attempts to one endpoint in flight at once, per process. */
  concurrencyPerEndpoint: number;
  /** How often a process looks for new events and due deliveries. */
  pollMs: number;
  /** Endpoints one workspace may have. */
  maxEndpointsPerWorkspace: number;
  resolve: HostResolver;
}

/**
 * How many requests one API key may make: per minute, hour and day (null: no limit on that window),
 * and at once (`inFlight`, per process). Resolved from its organization's preset or numbers.
 */
export interface RateLimitPolicy {
  perMinute: number | null;
  perHour: number | null;
  perDay: number | null;
  inFlight: number | null;
}

/** One window as the `X-RateLimit-*` headers report it. */
export interface RateLimitWindow {
  limit: number;
  remaining: number;
  /** When the window starts over, epoch milliseconds. */
  resetAt: number;
}

/** A request let through: the tightest window after it, and the in-flight slot to give back when it ends. */
export interface RateLimitAdmission {
  window: RateLimitWindow | null;
  release(): void;
}

/**
 * Counts requests per key against its policy, in storage every process shares. Over a limit,
 * `admit` throws AppError('rate_limited') with `retry_after_s` and `rate_limit` (the exhausted
 * window) in its details, which the transports turn into Retry-After and the headers.
 */
export interface RateLimiter {
  admit(keyId: string, policy: RateLimitPolicy): Promise<RateLimitAdmission>;
}

// ---------------------------------------------------------------------------------------------
// Chat: streaming answers (issue #13, the Orckai chat API). Kept apart from the tool-use methods.

/** One turn of a chat as the model is shown it. */
export interface ChatTurn {
  role: 'user' | 'assistant';
  text: string;
}

export interface ChatRequest {
  /** A model id; unset: the adapter's generation model. */
  model?: string | undefined;
  /** The caller's system prompt, if any. */
  system?: string | undefined;
  /** Oldest first: starts with a user turn and ends with the new user message. */
  turns: ChatTurn[];
  maxTokens: number;
  /** 0..1; unset: the provider's default. */
  temperature?: number | undefined;
  /** Aborting it cancels the upstream request: the iteration then ends without a `done` event. */
  signal?: AbortSignal | undefined;
}

export interface ChatUsage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * What a chat stream yields: `start` once the provider accepted the request, `text` for each piece
 * of the answer, `done` once it is complete. A provider failure (before or mid-answer) is thrown as
 * AppError('upstream_error'); a cancelled request simply ends the iteration early.
 */
export type ChatStreamEvent =
  | { type: 'start'; model: string; inputTokens: number }
  | { type: 'text'; text: string }
  | { type: 'done'; model: string; stopReason: string | null; usage: ChatUsage };
