import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import { type App, VERSION, createApp } from './app.js';
import { type OrgContext, systemActor } from './kernel/context.js';
import { AppError } from './kernel/errors.js';
import { seedDemo } from './demo.js';
import {
  ALL_SCOPES,
  PRESET_NAMES,
  RateLimitSetting,
  bootstrapIfEmpty,
  keys,
  rateLimits,
  workspaces,
} from './domains/tenancy/index.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { DatabaseLockLostError, DatabaseLockedError } from './adapters/db/connect.js';
import { createLogger } from './log.js';
import {
  CLIENTS,
  CONFIG_FILE,
  type McpClient,
  assertDatabaseInitialised,
  defaultUrl,
  invalidKeyMessage,
  mcpConfig,
} from './mcp-json.js';

// Each command imports the transport it runs when it runs: stdio never loads the HTTP server (hono,
// the REST routes, the OpenAPI document), and the one-shot commands load neither.

const csv = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const print = (json: boolean, value: unknown, text: string) =>
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : text}\n`);

/** Opens the app for a one-shot command; logs go to stderr so stdout stays clean for --json. */
async function withApp<T>(fn: (app: App) => Promise<T>, destination: 'stdout' | 'stderr' = 'stderr'): Promise<T> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, destination);
  const app = await createApp(config, log, { startJobs: false, onDatabaseLockLost: (err) => fail(err, log) });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** The CLI acts for the organization's owner: every scope, every workspace. */
async function ownerContext(app: App, org?: string): Promise<OrgContext> {
  const organizationId = await workspaces.defaultOrganization(app.db, app.clock, org);
  return {
    ...app,
    log: app.log,
    requestId: 'cli',
    actor: systemActor('cli'),
    principal: { keyId: 'cli', organizationId, name: 'cli', scopes: ['*'], allWorkspaces: true, workspaceIds: [] },
  };
}

/** What the first `serve` prints: the key in a ready configuration, over HTTP and over stdio. */
function firstStartSnippets(config: Config, url: string, key: string): string {
  const http = JSON.stringify(mcpConfig(config, { client: 'claude-code', transport: 'http', url, key }), null, 2);
  const stdio = JSON.stringify(mcpConfig(config, { client: 'claude-code', transport: 'stdio', url, key }), null, 2);
  const stdioNote =
    config.database.kind === 'pglite'
      ? 'Or, to let the client start Switchboard itself over stdio (only while this server is stopped: one process per PGlite directory):'
      : 'Or, to let the client start Switchboard itself over stdio:';
  return (
    `It is shown only this once. Paste this into your MCP client's mcp.json:\n\n${http}\n\n${stdioNote}\n\n${stdio}\n\n` +
    'Other clients (cursor, cline, claude-desktop, vscode): `switchboard mcp-json --client <name> --http` or `--stdio`.\n'
  );
}

/** The demo data of a first start; a failure is logged and never stops the server. Returns how the first-start message names it. */
async function seedFirstStart(app: App, organizationId: string, slug: string, log: Logger): Promise<string> {
  try {
    const ctx = await ownerContext(app, organizationId);
    const workspace = await workspaces.resolveWorkspace(app.db, ctx.principal, slug);
    const seeded = await seedDemo({ ...ctx, workspace });
    return ` with ${seeded.prospects} fictional prospects and ${seeded.drafts} drafts awaiting approval`;
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not add the demo data');
    return '';
  }
}

async function serve(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'stdout');
  const [{ startWorkers }, { startHttpServer }] = await Promise.all([
    import('./workers.js'),
    import('./transport/http/server.js'),
  ]);
  // Writing on after the lock is lost could corrupt the data another process now owns: stop at once.
  const app = await createApp(config, log, { onDatabaseLockLost: (err) => fail(err, log) });
  await startWorkers(app);
  const server = await startHttpServer(app);
  const publicUrl = config.publicUrl ?? server.url;
  const boot = await bootstrapIfEmpty(app.db, app.clock);
  if (boot) {
    const seeded = config.demoData ? await seedFirstStart(app, boot.organizationId, boot.workspaceSlug, log) : '';
    // Printed, never logged: the key appears once, on the terminal of whoever started the server.
    process.stdout.write(
      `\nFirst start: created workspace "${boot.workspaceSlug}" (a test workspace: nothing is really sent)${seeded}, and a full-access API key:\n\n` +
        `  ${boot.key.secret}\n\nOpen the console at ${publicUrl}/console and sign in with it.\n\n` +
        `${firstStartSnippets(config, publicUrl, boot.key.secret)}\n`,
    );
  }
  // Before the announcement: whoever waits for it may signal at once.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    try {
      await server.close();
      await app.close();
    } catch (err) {
      fail(err, log);
    }
    log.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // Announced once the first-start key, if any, is printed: whoever waits for this line has all of it.
  log.info(
    { url: server.url, console: `${publicUrl}/console`, database: app.dbKind, stateless: config.mcp.stateless },
    'switchboard listening',
  );
}

const STDIO_SHARED_BUFFERS = '16MB';

async function stdio(opts: {
  toolsets?: string;
  tools?: string;
  excludeTools?: string;
  readOnly?: boolean;
}): Promise<void> {
  const config = loadConfig();
  if (!config.apiKey)
    throw new ConfigError(
      'SWITCHBOARD_API_KEY is not set: switchboard stdio needs an API key (create one with `switchboard keys create`)',
    );
  assertDatabaseInitialised(config);
  const log = createLogger(config.logLevel, 'stderr');
  const [{ startWorkers }, { runStdio }, { JOB_NAMES }] = await Promise.all([
    import('./workers.js'),
    import('./transport/mcp/stdio.js'),
    import('./jobs.js'),
  ]);
  // One client's process: on PGlite a 16 MB buffer cache instead of 128 MB starts about a fifth
  // sooner and takes about 130 MB less memory (bench/README.md); the files stay in the OS page cache.
  const database =
    config.database.kind === 'pglite' ? { ...config.database, sharedBuffers: STDIO_SHARED_BUFFERS } : config.database;
  // The job queue starts once the client has its first answers (runStdio): a start-up cost it need not wait for.
  const app = await createApp({ ...config, database }, log, {
    startJobs: false,
    onDatabaseLockLost: (err) => fail(err, log),
  });
  try {
    await assertKeyValid(app, config.apiKey);
    const filter = {
      toolsets: opts.toolsets ? csv(opts.toolsets) : undefined,
      tools: opts.tools ? csv(opts.tools) : undefined,
      excludeTools: opts.excludeTools ? csv(opts.excludeTools) : undefined,
      readOnly: opts.readOnly,
    };
    await runStdio(app, config.apiKey, filter, async () => {
      await app.queue.start(JOB_NAMES);
      await startWorkers(app);
    });
  } finally {
    await app.close();
  }
}

async function assertKeyValid(app: App, key: string): Promise<void> {
  if (await app.keyCache.authenticate(key)) return;
  const { n } = await app.db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  throw new ConfigError(invalidKeyMessage(app.config, Number(n)));
}

interface McpJsonOptions {
  client: McpClient;
  http?: boolean;
  stdio?: boolean;
  url?: string;
  createKey?: boolean;
  scopes: string;
  workspace: string[];
  name?: string;
  org?: string;
}

/** Prints a client configuration with absolute paths; the key is created for it when asked. */
async function mcpJson(o: McpJsonOptions): Promise<void> {
  if (o.http && o.stdio) throw new ConfigError('--http and --stdio exclude each other');
  const config = loadConfig();
  const transport = o.http ? 'http' : 'stdio';
  let key = config.apiKey;
  if (o.createKey) {
    const refs = o.workspace.flatMap(csv);
    const created = await withApp(async (app) =>
      keys.createKey(await ownerContext(app, o.org), {
        name: o.name ?? `mcp-json ${o.client}`,
        scopes: csv(o.scopes),
        workspaces: refs.includes('all') ? 'all' : refs,
      }),
    );
    key = created.secret;
    process.stderr.write(
      `created key ${created.api_key.id} (${created.api_key.prefix}...) for ${o.client}; it is shown only in this configuration\n`,
    );
  } else if (!key) {
    key = 'sb_REPLACE_WITH_YOUR_KEY';
    process.stderr.write(
      'no key: pass --create-key (or set SWITCHBOARD_API_KEY) to get a configuration with a working key\n',
    );
  } else if (transport === 'stdio') {
    assertDatabaseInitialised(config);
  }
  process.stdout.write(
    `${JSON.stringify(mcpConfig(config, { client: o.client, transport, key, url: o.url ?? defaultUrl(config) }), null, 2)}\n`,
  );
  process.stderr.write(`put it in ${CONFIG_FILE[o.client]}\n`);
}

/** What a person working in the console may do by default: everything but managing keys and workspaces. */
const PERSON_SCOPES: string[] = ALL_SCOPES.filter((s) => s !== 'admin');

const program = new Command('switchboard')
  .description('Self-hosted MCP server with workspace-scoped business tools')
  .version(VERSION);

program
  .command('serve')
  .description('Run the HTTP server (MCP at /mcp, REST at /api/v1, the console at /console)')
  .action(serve);

program
  .command('stdio')
  .description('Run MCP over stdin/stdout, authenticated by SWITCHBOARD_API_KEY')
  .option('--toolsets <names>', 'only these toolsets (comma-separated)')
  .option('--tools <names>', 'only these tools, or these in addition to --toolsets')
  .option('--exclude-tools <names>', 'never these tools')
  .option('--read-only', 'only tools that change nothing')
  .action(stdio);

program
  .command('mcp-json')
  .description("Print an MCP client's configuration for this Switchboard, with absolute paths")
  .addOption(new Option('--client <name>', 'the client whose format to print').choices(CLIENTS).default('claude-code'))
  .option('--stdio', 'the client starts switchboard stdio itself (the default)')
  .option('--http', 'the client connects to a running switchboard serve')
  .option('--url <url>', 'base URL of the server, for --http (default: SWITCHBOARD_PUBLIC_URL, else http://HOST:PORT)')
  .option('--create-key', 'create a key for this client and put it in the configuration')
  .option('--scopes <scopes>', 'scopes of the created key, comma-separated', '*')
  .option('--workspace <ids...>', 'workspaces of the created key: ids or slugs, or "all"', ['all'])
  .option('--name <name>', 'name of the created key (default: mcp-json <client>)')
  .option('--org <id>', 'organization (default: the default one)')
  .action(mcpJson);

program
  .command('migrate')
  .description('Apply database migrations and exit')
  .action(() => withApp(async () => void process.stderr.write('database is up to date\n')));

const ws = program.command('workspaces').description('Manage workspaces');
ws.command('create')
  .requiredOption('--name <name>', 'display name')
  .option('--slug <slug>', 'unique short name (default: from the name)')
  .option('--test', 'a test workspace: never sends real email')
  .option('--timezone <tz>', 'IANA time zone', 'UTC')
  .option('--org <id>', 'organization (default: the default one)')
  .option('--json', 'print JSON')
  .action((o) =>
    withApp(async (app) => {
      const w = await workspaces.createWorkspace(await ownerContext(app, o.org), {
        name: o.name,
        slug: o.slug,
        is_test: Boolean(o.test),
        timezone: o.timezone,
      });
      print(o.json, w, `created workspace ${w.slug} (${w.id})${w.is_test ? ' [test]' : ''}`);
    }),
  );
ws.command('list')
  .option('--org <id>', 'organization (default: the default one)')
  .option('--json', 'print JSON')
  .action((o) =>
    withApp(async (app) => {
      const list = await workspaces.listWorkspaces(await ownerContext(app, o.org));
      print(
        o.json,
        { workspaces: list },
        list.map((w) => `${w.id}  ${w.slug}${w.is_test ? '  [test]' : ''}  ${w.name}`).join('\n') || 'no workspaces',
      );
    }),
  );

const k = program.command('keys').description('Manage API keys');
k.command('create')
  .option('--workspace <ids...>', 'workspace ids or slugs, or "all" (default with --person: all)')
  .option(
    '--scopes <scopes>',
    'comma-separated scopes, e.g. prospects:read,suppression:read, or * (default with --person: every scope but admin)',
  )
  .option('--person <name>', 'a key for a person who signs in to the console (names the key after them)')
  .option('--name <name>', 'what the key is for', 'cli')
  .option('--expires-at <iso>', 'expiry instant (ISO 8601)')
  .option('--org <id>', 'organization (default: the default one)')
  .option('--json', 'print JSON (includes the key, shown this one time)')
  .action((o) =>
    withApp(async (app) => {
      const person: string | undefined = o.person?.trim() || undefined;
      if (!person && (!o.workspace || !o.scopes))
        throw new ConfigError('--workspace and --scopes are required (or --person <name> for a console user)');
      const refs: string[] = (o.workspace ?? ['all']).flatMap(csv);
      const created = await keys.createKey(await ownerContext(app, o.org), {
        name: person ? `${person} (person)` : o.name,
        scopes: o.scopes ? csv(o.scopes) : PERSON_SCOPES,
        workspaces: refs.includes('all') ? 'all' : refs,
        expires_at: o.expiresAt,
        person,
      });
      const signIn = person ? `Sign in to the console at ${defaultUrl(app.config)}/console with it.\n` : '';
      print(
        o.json,
        created,
        `created key ${created.api_key.id} (${created.api_key.prefix}...)\n\n  ${created.secret}\n\n${signIn}Store it now: it is not shown again.`,
      );
    }),
  );
k.command('list')
  .option('--org <id>', 'organization (default: the default one)')
  .option('--json', 'print JSON')
  .action((o) =>
    withApp(async (app) => {
      const list = await keys.listKeys(await ownerContext(app, o.org));
      const line = (x: keys.ApiKey) =>
        `${x.id}  ${x.prefix}...  ${x.status}  ${x.scopes.join(',')}  ${x.workspaces === 'all' ? 'all' : x.workspaces.join(',')}  ${x.name}`;
      print(o.json, { api_keys: list }, list.map(line).join('\n') || 'no keys');
    }),
  );
k.command('revoke <keyId>')
  .option('--org <id>', 'organization (default: the default one)')
  .option('--json', 'print JSON')
  .action((keyId, o) =>
    withApp(async (app) => {
      const revoked = await keys.revokeKey(await ownerContext(app, o.org), keyId);
      print(o.json, revoked, `revoked key ${revoked.id}`);
    }),
  );
k.command('rotate <keyId>')
  .addOption(new Option('--grace-seconds <n>', 'how long the old key keeps working').argParser(Number).default(0))
  .option('--org <id>', 'organization (default: the default one)')
  .option('--json', 'print JSON (includes the new key, shown this one time)')
  .action((keyId, o) =>
    withApp(async (app) => {
      const created = await keys.rotateKey(await ownerContext(app, o.org), keyId, o.graceSeconds);
      print(
        o.json,
        created,
        `rotated ${keyId} into ${created.api_key.id}\n\n  ${created.secret}\n\nStore it now: it is not shown again.`,
      );
    }),
  );

/** `--per-minute 500`, or `none` for no limit. */
const limitArg = (v: string): number | null => {
  if (v === 'none') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`"${v}" is not a positive whole number or "none"`);
  return n;
};
const describeLimits = (r: Awaited<ReturnType<typeof rateLimits.getRateLimits>>) => {
  const n = (x: number | null) => (x === null ? 'no limit' : String(x));
  return (
    `preset ${r.preset}: ${n(r.per_minute)} per minute, ${n(r.per_hour)} per hour, ${n(r.per_day)} per day, ` +
    `${n(r.in_flight)} in flight (per key)${r.enforced ? '' : '\nnot enforced: SWITCHBOARD_RATE_LIMITS=off'}`
  );
};

const rl = program.command('rate-limits').description("Show or set the organization's per-key rate limits");
rl.command('show')
  .option('--org <id>', 'organization (default: the default one)')
  .option('--json', 'print JSON')
  .action((o) =>
    withApp(async (app) => {
      const r = await rateLimits.getRateLimits(await ownerContext(app, o.org));
      print(o.json, { rate_limits: r }, describeLimits(r));
    }),
  );
rl.command('set')
  .description("Replace the limits: a preset, and numbers that replace the preset's ('none': no limit)")
  .addOption(new Option('--preset <name>', 'the plan to start from').choices(PRESET_NAMES).default('standard'))
  .addOption(new Option('--per-minute <n>', 'requests per minute and key').argParser(limitArg))
  .addOption(new Option('--per-hour <n>', 'requests per hour and key').argParser(limitArg))
  .addOption(new Option('--per-day <n>', 'requests per day and key').argParser(limitArg))
  .addOption(new Option('--in-flight <n>', 'requests of one key at once, per server process').argParser(limitArg))
  .option('--org <id>', 'organization (default: the default one)')
  .option('--json', 'print JSON')
  .action((o) =>
    withApp(async (app) => {
      const setting = RateLimitSetting.parse({
        preset: o.preset,
        per_minute: o.perMinute,
        per_hour: o.perHour,
        per_day: o.perDay,
        in_flight: o.inFlight,
      });
      const r = await rateLimits.setRateLimits(await ownerContext(app, o.org), setting);
      print(o.json, { rate_limits: r }, describeLimits(r));
    }),
  );

program
  .command('seed')
  .description(
    'Add fictional prospects, a template and drafts awaiting approval to a workspace, to try the tools and the console',
  )
  .option('--workspace <id>', 'workspace id or slug', 'demo')
  .option('--org <id>', 'organization (default: the default one)')
  .action((o) =>
    withApp(async (app) => {
      const ctx = await ownerContext(app, o.org);
      const workspace = await workspaces.resolveWorkspace(app.db, ctx.principal, o.workspace);
      const seeded = await seedDemo({ ...ctx, workspace });
      process.stderr.write(
        `seeded ${seeded.prospects} prospects and ${seeded.drafts} drafts awaiting approval into ${workspace.slug}\n`,
      );
    }),
  );

const PLAIN_ERRORS = [ConfigError, DatabaseLockedError, DatabaseLockLostError];

function fail(err: unknown, log?: Logger): never {
  const message =
    err instanceof AppError
      ? `${err.code}: ${err.message}`
      : PLAIN_ERRORS.some((type) => err instanceof type)
        ? (err as Error).message
        : String((err as Error)?.stack ?? err);
  log?.flush();
  process.stderr.write(`switchboard: ${message}\n`);
  process.exit(1);
}

program.parseAsync().catch((err) => fail(err));
