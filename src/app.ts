import path from 'node:path';
import { lookup } from 'node:dns/promises';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { type Clock, systemClock } from './kernel/clock.js';
import { ConcurrencyGate } from './kernel/concurrency.js';
import type { Services } from './kernel/context.js';
import { KeyCache, WorkspaceCache } from './domains/tenancy/index.js';
import type { Embedder, HostResolver } from './kernel/ports.js';
import { JOB_NAMES } from './jobs.js';
import type { Config } from './config.js';
import { type DatabaseHandle, type DatabaseLockLostError, openDatabase } from './adapters/db/connect.js';
import { migrateToLatest } from './adapters/db/migrate.js';
import type { Database } from './adapters/db/schema.js';
import { PgBossQueue } from './adapters/jobs/queue.js';
import { PostgresRateLimiter } from './adapters/ratelimit/postgres.js';
import { HttpEmbedder } from './adapters/llm/embeddings.js';
import { OfflineLlm } from './adapters/llm/offline.js';
import { ResendSender } from './adapters/mail/resend.js';
import { SinkSender } from './adapters/mail/sink.js';
import { AesGcmSecretBox, type KeySource } from './adapters/secrets/secret-box.js';
import { Registry } from './operations/invoker.js';

export const VERSION = '0.1.0';

/** Everything a transport needs, built once per process. */
export interface App extends Services {
  config: Config;
  dbKind: DatabaseHandle['kind'];
  registry: Registry;
  /** The job queue's own side: workers take jobs from it (services only enqueue). */
  queue: PgBossQueue;
  keyCache: KeyCache;
  log: Logger;
  /** Runs `stop` first when the app closes (background loops started by the workers). */
  onClose(stop: () => Promise<void>): void;
  close(): Promise<void>;
}

export interface AppOptions {
  database?: DatabaseHandle;
  clock?: Clock;
  /** Replaces the configured embeddings provider (tests, benchmarks). */
  embeddings?: Embedder | null;
  /** Replaces the mail senders built from the configuration (tests). */
  mail?: Services['mail'];
  jobPollingIntervalSeconds?: number;
  /**
   * false for one-shot commands, which enqueue nothing and should not pay for starting the queue, and
   * for stdio, which starts it once the client has its first answers.
   */
  startJobs?: boolean;
  /** Replaces the system DNS resolver for webhook URLs (tests of the SSRF rule). */
  webhookResolver?: HostResolver;
  /** Another process took this one's PGlite lock: queries already fail; the process should stop. */
  onDatabaseLockLost?: (err: DatabaseLockLostError) => void;
}

/** Opens (or adopts) the database, applies migrations, starts the job queue and compiles the operations. */
export async function createApp(config: Config, log: Logger, opts: AppOptions = {}): Promise<App> {
  const handle = opts.database ?? (await openDatabase(config.database, { log, onLockLost: opts.onDatabaseLockLost }));
  let jobs: PgBossQueue | undefined;
  try {
    // Built before migrating: a migration seals stored secrets with it.
    const secrets = new AesGcmSecretBox(secretKeySource(config), log);
    const applied = await migrateToLatest(handle.db, { secrets });
    if (applied.length) log.info({ migrations: applied }, 'applied migrations');
    jobs = new PgBossQueue(handle, log, {
      pollingIntervalSeconds: opts.jobPollingIntervalSeconds,
      timeoutSeconds: config.jobTimeoutSeconds,
    });
    if (opts.startJobs !== false) await jobs.start(JOB_NAMES);
    const keyCache = new KeyCache(handle.db, opts.clock ?? systemClock, config.cacheMs);
    const services: Services = {
      db: handle.db,
      clock: opts.clock ?? systemClock,
      jobs,
      embeddings: await usableEmbedder(handle.db, config, log, opts.embeddings),
      llm: await llmFor(config),
      mail: opts.mail ?? (await mailSenders(config)),
      publicUrl: config.publicUrl ?? `http://localhost:${config.port}`,
      keyCache,
      workspaceCache: new WorkspaceCache(config.cacheMs),
      secrets,
      inbound: { pollIntervalMs: config.inbound.pollSeconds * 1000 },
      search: { timeoutMs: config.search.timeoutMs, gate: searchGate(config, handle.pool.options.max ?? 10) },
      agents: config.agents,
      webhooks: { ...config.webhooks, resolve: opts.webhookResolver ?? systemResolver },
      rateLimiter: config.rateLimits ? new PostgresRateLimiter(handle.db, opts.clock ?? systemClock) : null,
    };
    let closed: Promise<void> | undefined;
    const started = jobs;
    const stoppers: (() => Promise<void>)[] = [];
    return {
      ...services,
      config,
      dbKind: handle.kind,
      keyCache,
      queue: started,
      registry: new Registry(services),
      log,
      onClose: (stop) => void stoppers.push(stop),
      close: () =>
        (closed ??= Promise.allSettled(stoppers.map((stop) => stop()))
          .then(() => started.stop())
          .finally(() => handle.close())),
    };
  } catch (err) {
    await jobs?.stop().catch(() => {});
    await handle.close();
    throw err;
  }
}

/** Every address of a host, in the resolver's order, as the operating system resolves it. */
const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/**
 * Searches may hold at most half the pool (PGlite's pool is one connection: one search at a time),
 * so requests that are not searches always find a connection soon.
 */
function searchGate(config: Config, poolSize: number): ConcurrencyGate {
  const perKey = config.search.concurrency;
  return new ConcurrencyGate(
    {
      perKey,
      total: Math.max(1, Math.floor(poolSize / 2)),
      maxQueuedPerKey: 8 * perKey,
      maxWaitMs: config.search.timeoutMs,
    },
    'knowledge-base searches',
  );
}

// The Anthropic SDK and nodemailer are imported only when configured: loading them costs start-up
// time (stdio's especially) in every process that never uses them.

/** Claude if a key is configured, else the offline rules. */
async function llmFor(config: Config): Promise<Services['llm']> {
  if (!config.anthropic) return new OfflineLlm();
  const { AnthropicLlm } = await import('./adapters/llm/anthropic.js');
  return new AnthropicLlm({
    apiKey: config.anthropic.apiKey,
    baseURL: config.anthropic.baseUrl,
    generationModel: config.anthropic.generationModel,
    classificationModel: config.anthropic.classificationModel,
  });
}

/**
 * The server key: configured, else (PGlite) a key file beside the database, made on first use. Several
 * nodes on one PostgreSQL server must share a key, so there it has to be configured.
 */
function secretKeySource(config: Config): KeySource {
  if (config.secretKey) return { kind: 'configured', key: config.secretKey };
  if (config.database.kind === 'postgres')
    return {
      kind: 'none',
      reason:
        'This server has no SWITCHBOARD_SECRET_KEY, which stored credentials are sealed with: set it (32 bytes, e.g. `openssl rand -base64 32`) on every server node, then configure the mailbox again',
    };
  if (config.database.dataDir.startsWith('memory://')) return { kind: 'ephemeral' };
  return { kind: 'file', path: path.join(config.database.dataDir, 'secret.key') };
}

/** SMTP if configured, else Resend, else none (only is_test workspaces then send, to the sink). */
async function mailSenders(config: Config): Promise<Services['mail']> {
  const live = config.mail.smtpUrl
    ? new (await import('./adapters/mail/smtp.js')).SmtpSender(config.mail.smtpUrl)
    : config.mail.resend
      ? new ResendSender({ apiKey: config.mail.resend.apiKey, baseUrl: config.mail.resend.baseUrl })
      : null;
  return { live, sink: new SinkSender() };
}

async function usableEmbedder(
  db: Kysely<Database>,
  config: Config,
  log: Logger,
  override: Embedder | null | undefined,
): Promise<Embedder | null> {
  const embedder = override !== undefined ? override : config.embeddings ? new HttpEmbedder(config.embeddings) : null;
  if (!embedder) return null;
  const { rows } = await sql<{ ok: boolean }>`select to_regclass('kb_chunk_embeddings') is not null as ok`.execute(db);
  if (rows[0]?.ok) return embedder;
  log.warn(
    'an embeddings provider is configured but this PostgreSQL server has no pgvector extension: knowledge-base search stays full-text',
  );
  return null;
}
