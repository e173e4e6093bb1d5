import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { EmbeddingsConfig } from './adapters/llm/embeddings.js';
import { decodeSecretKey } from './adapters/secrets/secret-box.js';
import type { WebhookSettings } from './kernel/ports.js';

const list = z
  .string()
  .optional()
  .transform((s) =>
    s
      ? s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : undefined,
  );
const flag = z
  .enum(['0', '1', 'true', 'false', ''])
  .optional()
  .transform((s) => s === '1' || s === 'true');

const EnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  SWITCHBOARD_DATA_DIR: z
    .string()
    .min(1)
    .optional()
    // MCP clients start stdio servers in arbitrary directories: a relative path would quietly open a different, empty database in each.
    .refine((dir) => dir === undefined || dir.startsWith('memory://') || path.isAbsolute(dir), {
      message:
        'must be an absolute path (MCP clients start servers in arbitrary working directories); unset, it is the per-user data directory',
    }),
  SWITCHBOARD_LOCK_STALE_MS: z.coerce.number().int().min(200).max(3_600_000).default(20_000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  SWITCHBOARD_PUBLIC_URL: z.url().optional(),
  SWITCHBOARD_MCP_STATELESS: flag,
  SWITCHBOARD_MCP_SESSION_TTL_SECONDS: z.coerce.number().int().min(10).default(1800),
  SWITCHBOARD_MCP_MAX_SESSIONS: z.coerce.number().int().min(1).default(10_000),
  SWITCHBOARD_MCP_MAX_SESSIONS_PER_KEY: z.coerce.number().int().min(1).default(100),
  SWITCHBOARD_MCP_MAX_SESSIONS_PER_ORG: z.coerce.number().int().min(1).default(1000),
  SWITCHBOARD_MCP_TRANSPORT: z.enum(['native', 'sdk']).default('native'),
  SWITCHBOARD_MCP_SSE_KEEPALIVE_SECONDS: z.coerce.number().min(0).max(3600).default(15),
  SWITCHBOARD_ALLOWED_HOSTS: list,
  SWITCHBOARD_ALLOWED_ORIGINS: list,
  SWITCHBOARD_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  SWITCHBOARD_JOB_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  SWITCHBOARD_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  SWITCHBOARD_SEARCH_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(5000),
  SWITCHBOARD_SEARCH_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(2),
  SWITCHBOARD_AGENT_MONTHLY_MESSAGES: z.coerce.number().int().min(0).default(10_000),
  SWITCHBOARD_AGENT_MAX_STEPS: z.coerce.number().int().min(1).max(50).default(8),
  SWITCHBOARD_AGENT_MAX_TOKENS_PER_RUN: z.coerce.number().int().min(1000).default(50_000),
  SWITCHBOARD_RATE_LIMITS: z
    .enum(['on', 'off', '1', '0', 'true', 'false', ''])
    .optional()
    .transform((s) => !(s === 'off' || s === '0' || s === 'false')),
  SWITCHBOARD_DEMO_DATA: z
    .enum(['on', 'off', '1', '0', 'true', 'false', ''])
    .optional()
    .transform((s) => !(s === 'off' || s === '0' || s === 'false')),
  SWITCHBOARD_API_KEY: z.string().optional(),
  SWITCHBOARD_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  RESEND_API_KEY: z.string().min(1).optional(),
  RESEND_BASE_URL: z.url().optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url().optional(),
  SWITCHBOARD_GENERATION_MODEL: z.string().min(1).optional(),
  SWITCHBOARD_CLASSIFICATION_MODEL: z.string().min(1).optional(),
  RESEND_WEBHOOK_SECRET: z.string().min(1).optional(),
  SWITCHBOARD_SECRET_KEY: z
    .string()
    .optional()
    .refine((k) => k === undefined || decodeSecretKey(k) !== undefined, {
      message: 'must be 32 bytes written as 64 hex digits or as base64 (e.g. `openssl rand -base64 32`)',
    }),
  SWITCHBOARD_IMAP_POLL_SECONDS: z.coerce.number().int().min(5).max(86_400).default(60),
  SWITCHBOARD_EMBEDDINGS_URL: z.url().optional(),
  SWITCHBOARD_EMBEDDINGS_MODEL: z.string().min(1).optional(),
  SWITCHBOARD_EMBEDDINGS_PROVIDER: z.enum(['voyage', 'openai']).optional(),
  SWITCHBOARD_EMBEDDINGS_API_KEY: z.string().min(1).optional(),
  VOYAGE_API_KEY: z.string().min(1).optional(),
  SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE: flag,
  SWITCHBOARD_WEBHOOKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  SWITCHBOARD_WEBHOOKS_RETRY_SCHEDULE: z
    .string()
    .regex(/^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*$/, 'must be a comma-separated list of seconds, e.g. 5,300,1800')
    .default('5,300,1800,7200,18000,36000,36000'),
  SWITCHBOARD_WEBHOOKS_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(8),
  SWITCHBOARD_WEBHOOKS_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(200),
  SWITCHBOARD_WEBHOOKS_MAX_ENDPOINTS: z.coerce.number().int().min(1).max(1000).default(20),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface McpConfig {
  /** `native` frames streamable HTTP itself; `sdk` uses the SDK's StreamableHTTPServerTransport (the reference). */
  transport: 'native' | 'sdk';
  stateless: boolean;
  sessionTtlMs: number;
  /** Caps on open sessions: in all, per API key and per organization (see sessions.ts for who is evicted). */
  maxSessions: number;
  maxSessionsPerKey: number;
  maxSessionsPerOrg: number;
  /** Interval of SSE keep-alive comments on a streamed call; 0 turns them off. */
  sseKeepAliveMs: number;
}

export interface Config {
  /** `lockStaleMs`: a PGlite lock held from another host is taken over after this long without a refresh. */
  database:
    | { kind: 'postgres'; url: string; poolSize: number }
    | { kind: 'pglite'; dataDir: string; lockStaleMs: number };
  host: string;
  port: number;
  publicUrl: string | undefined;
  mcp: McpConfig;
  /** Host header values accepted; undefined accepts any (a server bound to all interfaces behind a proxy). */
  allowedHosts: string[] | undefined;
  /** Origin header values accepted besides the allowed hosts' own origins; `*` accepts any. */
  allowedOrigins: string[];
  maxBodyBytes: number;
  /** A job (and a send's lease on its draft) not finished in this time is presumed crashed and run again. */
  jobTimeoutSeconds: number;
  /** How long resolved API keys and workspaces are reused before they are looked up again. */
  cacheMs: number;
  /** Knowledge-base search: a statement running longer is cancelled; `concurrency` searches of one organization run at once per process. */
  search: { timeoutMs: number; concurrency: number };
  /** Agents: messages per organization and calendar month, and the caps on one run with Claude. */
  agents: { monthlyMessages: number; maxSteps: number; maxTokensPerRun: number };
  /** Per-key request limits (each organization's preset, `standard` by default); false with SWITCHBOARD_RATE_LIMITS=off. */
  rateLimits: boolean;
  /** Whether the first start fills the demo workspace (prospects, a template, drafts awaiting approval); false with SWITCHBOARD_DEMO_DATA=off. */
  demoData: boolean;
  apiKey: string | undefined;
  /** Unset: knowledge-base search is full-text only. */
  embeddings: EmbeddingsConfig | undefined;
  /** SMTP wins over Resend when both are set; neither: only is_test workspaces can send (to the sink). */
  mail: {
    smtpUrl: string | undefined;
    resend: { apiKey: string; baseUrl: string | undefined } | undefined;
    resendWebhookSecret: string | undefined;
  };
  /**
   * Seals stored credentials (IMAP passwords). Unset: PGlite setups keep a generated key in
   * `<data dir>/secret.key`; DATABASE_URL setups cannot store mailbox credentials.
   */
  secretKey: string | undefined;
  /** Inbound mail: each configured IMAP mailbox is polled every `pollSeconds`. */
  inbound: { pollSeconds: number };
  /** Unset: drafts are the rendered templates and replies are classified by rules. */
  anthropic:
    | {
        apiKey: string;
        baseUrl: string | undefined;
        generationModel: string | undefined;
        classificationModel: string | undefined;
      }
    | undefined;
  /** Outgoing webhooks (the resolver is the system's unless a test injects one). */
  webhooks: Omit<WebhookSettings, 'resolve'>;
  logLevel: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const isLoopback = (host: string) => LOOPBACK.has(host) || host.startsWith('127.');

export class ConfigError extends Error {
  override name = 'ConfigError';
}

// Links in sent emails reach the server by its public name, which must then pass the Host check.
const withPublicHost = (hosts: string[], publicUrl: string | undefined) =>
  publicUrl ? [...new Set([...hosts, new URL(publicUrl).hostname])] : hosts;

function embeddingsConfig(e: z.infer<typeof EnvSchema>): EmbeddingsConfig | undefined {
  const url = e.SWITCHBOARD_EMBEDDINGS_URL ?? (e.VOYAGE_API_KEY ? 'https://api.voyageai.com/v1' : undefined);
  if (!url) return undefined;
  const provider =
    e.SWITCHBOARD_EMBEDDINGS_PROVIDER ?? (e.VOYAGE_API_KEY || url.includes('voyageai') ? 'voyage' : 'openai');
  return {
    url,
    provider,
    model: e.SWITCHBOARD_EMBEDDINGS_MODEL ?? (provider === 'voyage' ? 'voyage-3' : 'text-embedding-3-small'),
    apiKey: e.SWITCHBOARD_EMBEDDINGS_API_KEY ?? e.VOYAGE_API_KEY,
  };
}

/**
 * The per-user data directory every command uses when SWITCHBOARD_DATA_DIR is unset, whatever the
 * working directory: `$XDG_DATA_HOME/switchboard`, else the platform's usual place.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const home = env.HOME || os.homedir();
  if (env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME)) return path.join(env.XDG_DATA_HOME, 'switchboard');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'switchboard');
  if (platform === 'win32')
    return path.win32.join(env.LOCALAPPDATA || path.win32.join(home, 'AppData', 'Local'), 'switchboard');
  return path.join(home, '.local', 'share', 'switchboard');
}

/** Reads the environment once; a bad value stops start-up with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE }
      : {
          kind: 'pglite',
          dataDir: e.SWITCHBOARD_DATA_DIR ?? defaultDataDir(env),
          lockStaleMs: e.SWITCHBOARD_LOCK_STALE_MS,
        },
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.SWITCHBOARD_PUBLIC_URL?.replace(/\/+$/, ''),
    mcp: {
      transport: e.SWITCHBOARD_MCP_TRANSPORT,
      stateless: e.SWITCHBOARD_MCP_STATELESS,
      sessionTtlMs: e.SWITCHBOARD_MCP_SESSION_TTL_SECONDS * 1000,
      maxSessions: e.SWITCHBOARD_MCP_MAX_SESSIONS,
      maxSessionsPerKey: e.SWITCHBOARD_MCP_MAX_SESSIONS_PER_KEY,
      maxSessionsPerOrg: e.SWITCHBOARD_MCP_MAX_SESSIONS_PER_ORG,
      sseKeepAliveMs: Math.round(e.SWITCHBOARD_MCP_SSE_KEEPALIVE_SECONDS * 1000),
    },
    // DNS-rebinding protection: on a loopback bind only loopback names are accepted unless told otherwise.
    allowedHosts:
      e.SWITCHBOARD_ALLOWED_HOSTS ??
      (isLoopback(e.HOST) ? withPublicHost(['localhost', '127.0.0.1', '[::1]'], e.SWITCHBOARD_PUBLIC_URL) : undefined),
    allowedOrigins: e.SWITCHBOARD_ALLOWED_ORIGINS ?? [],
    maxBodyBytes: e.SWITCHBOARD_MAX_BODY_BYTES,
    cacheMs: e.SWITCHBOARD_CACHE_MS,
    jobTimeoutSeconds: e.SWITCHBOARD_JOB_TIMEOUT_SECONDS,
    search: { timeoutMs: e.SWITCHBOARD_SEARCH_TIMEOUT_MS, concurrency: e.SWITCHBOARD_SEARCH_CONCURRENCY },
    agents: {
      monthlyMessages: e.SWITCHBOARD_AGENT_MONTHLY_MESSAGES,
      maxSteps: e.SWITCHBOARD_AGENT_MAX_STEPS,
      maxTokensPerRun: e.SWITCHBOARD_AGENT_MAX_TOKENS_PER_RUN,
    },
    rateLimits: e.SWITCHBOARD_RATE_LIMITS,
    demoData: e.SWITCHBOARD_DEMO_DATA,
    apiKey: e.SWITCHBOARD_API_KEY,
    embeddings: embeddingsConfig(e),
    mail: {
      smtpUrl: e.SWITCHBOARD_SMTP_URL,
      resend: e.RESEND_API_KEY ? { apiKey: e.RESEND_API_KEY, baseUrl: e.RESEND_BASE_URL } : undefined,
      resendWebhookSecret: e.RESEND_WEBHOOK_SECRET,
    },
    secretKey: e.SWITCHBOARD_SECRET_KEY,
    inbound: { pollSeconds: e.SWITCHBOARD_IMAP_POLL_SECONDS },
    anthropic: e.ANTHROPIC_API_KEY
      ? {
          apiKey: e.ANTHROPIC_API_KEY,
          baseUrl: e.ANTHROPIC_BASE_URL,
          generationModel: e.SWITCHBOARD_GENERATION_MODEL,
          classificationModel: e.SWITCHBOARD_CLASSIFICATION_MODEL,
        }
      : undefined,
    webhooks: {
      allowPrivate: e.SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE,
      timeoutMs: e.SWITCHBOARD_WEBHOOKS_TIMEOUT_MS,
      retryScheduleMs: e.SWITCHBOARD_WEBHOOKS_RETRY_SCHEDULE.split(',').map((s) => Math.round(Number(s.trim()) * 1000)),
      concurrencyPerEndpoint: e.SWITCHBOARD_WEBHOOKS_CONCURRENCY,
      pollMs: e.SWITCHBOARD_WEBHOOKS_POLL_MS,
      maxEndpointsPerWorkspace: e.SWITCHBOARD_WEBHOOKS_MAX_ENDPOINTS,
    },
    logLevel: e.LOG_LEVEL,
  };
}
