import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../adapters/db/schema.js';
import type { Clock } from './clock.js';
import type { ConcurrencyGate } from './concurrency.js';
import type {
  Embedder,
  JobQueue,
  KeyResolver,
  Llm,
  OperationCaller,
  MailSender,
  RateLimitPolicy,
  RateLimiter,
  SecretBox,
  WebhookSettings,
  WorkspaceResolver,
} from './ports.js';

/** Who is calling: an API key, resolved and checked by a transport. */
export interface Principal {
  keyId: string;
  organizationId: string;
  name: string;
  scopes: readonly string[];
  /** True when the key is granted every workspace of its organization, present and future. */
  allWorkspaces: boolean;
  /** The granted workspaces when `allWorkspaces` is false. */
  workspaceIds: readonly string[];
  /** When the key stops working, if it expires. */
  expiresAt?: Date | null;
  /** Its organization's rate limits, resolved with the key; absent: the `standard` preset. */
  rateLimits?: RateLimitPolicy;
  /** The person the key was made for (`keys create --person`): calls act as `{ type: 'person' }`. */
  person?: string | null;
}

export interface Workspace {
  id: string;
  organization_id: string;
  name: string;
  slug: string;
  is_test: boolean;
  timezone: string;
  settings: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

/** What every service may use, built once per process. */
export interface Services {
  db: Kysely<Database>;
  clock: Clock;
  jobs: JobQueue;
  /** Null when no embeddings provider is configured or the database lacks pgvector. */
  embeddings: Embedder | null;
  /** Claude when ANTHROPIC_API_KEY is set, else rule-based. */
  llm: Llm;
  /** `live` sends for real (null when neither SMTP nor Resend is configured); `sink` records, for is_test workspaces. */
  mail: { live: MailSender | null; sink: MailSender };
  /** Base of the links in sent emails (unsubscribe, tracking). */
  publicUrl: string;
  /** How transports resolve API keys; forget a key here after revoking or rotating it. */
  keyCache: KeyResolver;
  /** How tool calls resolve `workspace_id`; forget a workspace here after writing its row. */
  workspaceCache: WorkspaceResolver;
  /** Seals stored credentials (IMAP passwords) with the server key. */
  secrets: SecretBox;
  /** Inbound mail: how often each configured IMAP mailbox is polled. */
  inbound: { pollIntervalMs: number };
  /** Knowledge-base searches: how long one statement may run, and how many run at once (per organization, per process). */
  search: { timeoutMs: number; gate: ConcurrencyGate };
  /** Outgoing webhooks: SSRF rule, timeout, retry schedule, resolver. */
  webhooks: WebhookSettings;
  /** Agents: the monthly message quota per organization and the caps on one Claude run. */
  agents: { monthlyMessages: number; maxSteps: number; maxTokensPerRun: number };
  /** Per-key request limits, checked by the transports; null when SWITCHBOARD_RATE_LIMITS=off. */
  rateLimiter: RateLimiter | null;
}

/**
 * Who acts, as every event records it: an API key (`id` = key id), a person using the console, an
 * agent run acting with its allowed tools, or the system itself (`id` names the part: `tracking`,
 * `resend-webhook`, `job:outreach.send`, `cli`, ...). A key's permissions are its `Principal`.
 */
export type Actor =
  | { type: 'key'; id: string }
  | { type: 'person'; id: string }
  | { type: 'agent'; id: string }
  | { type: 'system'; id: string };

/** The system acting on its own, e.g. `systemActor('tracking')`. */
export const systemActor = (part: string): Actor => ({ type: 'system', id: part });

/** What every call receives, whoever makes it. */
export interface CallContext extends Services {
  actor: Actor;
  log: Logger;
  requestId: string;
  /** Set when the caller asked for progress (MCP progressToken); long operations report through it. */
  progress?: ((done: number, total: number, message: string) => Promise<void>) | undefined;
  /** Aborted when the caller gives up (an MCP cancellation); long operations stop at their next step. */
  signal?: AbortSignal | undefined;
  /** The calling API key's permissions, when a key calls (the invoker sets it; absent in jobs). */
  principal?: Principal | undefined;
  /** Switchboard's own operations, for agent runs: set by the invoker. */
  operations?: OperationCaller | undefined;
}

/**
 * What an organization-level service (keys, workspaces) receives: the permissions it acts with are
 * the calling key's, or the owner's for the CLI (run by whoever holds the server).
 */
export interface OrgContext extends CallContext {
  principal: Principal;
}

/** What a workspace service receives: the workspace is already resolved and granted. */
export interface RequestContext extends CallContext {
  workspace: Workspace;
}
