import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { type App, type AppOptions, createApp } from '../../src/app.js';
import { authenticateKey } from '../../src/domains/tenancy/auth.js';
import type { Principal, RequestContext, Workspace } from '../../src/kernel/context.js';
import { newId } from '../../src/kernel/ids.js';
import { insertKey } from '../../src/domains/tenancy/keys.service.js';
import { insertWorkspace, resolveWorkspace } from '../../src/domains/tenancy/workspaces.service.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createTestDatabase } from './db.js';

export const silentLog = pino({ level: 'silent' });
const TEST_SECRET_KEY = randomBytes(32).toString('base64');

export function testConfig(overrides: Partial<Config> = {}): Config {
  // Caches on, as in production, with a TTL long enough that no test depends on timing: changes made
  // through the app are seen at once; test/domains/tenancy/key-cache.test.ts and workspace-cache.test.ts cover expiry.
  // A server key of its own, so no test creates the key file in the per-user data directory.
  // Rate limits off: tests send requests far faster than the `standard` preset allows. The
  // rate-limit tests (test/e2e/rate-limits.test.ts) turn them on with `rateLimits: true`.
  const env = {
    HOST: '127.0.0.1',
    PORT: '0',
    SWITCHBOARD_CACHE_MS: '60000',
    SWITCHBOARD_SECRET_KEY: TEST_SECRET_KEY,
    SWITCHBOARD_RATE_LIMITS: 'off',
  };
  return { ...loadConfig(env), ...overrides };
}

export interface TestApp {
  app: App;
  close(): Promise<void>;
}

/** An App over a fresh database of this project's kind. Jobs poll fast so tests need not wait. */
export async function createTestApp(
  overrides: Partial<Config> = {},
  opts: Omit<AppOptions, 'database'> = {},
  log: Logger = silentLog,
): Promise<TestApp> {
  const database = await createTestDatabase();
  const app = await createApp(testConfig(overrides), log, {
    database: database.handle,
    jobPollingIntervalSeconds: 0.5,
    ...opts,
  });
  return {
    app,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}

export async function createOrg(app: App, name = 'Acme'): Promise<string> {
  const id = newId('org');
  await app.db.insertInto('organizations').values({ id, name, created_at: app.clock.now() }).execute();
  return id;
}

export function addWorkspace(app: App, orgId: string, slug: string, isTest = false): Promise<Workspace> {
  return insertWorkspace(app.db, app.clock, orgId, { name: slug, slug, is_test: isTest });
}

/** A key's plaintext secret. */
export async function addKey(
  app: App,
  orgId: string,
  scopes: string[],
  workspaces: Workspace[] | 'all',
): Promise<string> {
  const created = await insertKey(app.db, orgId, app.clock.now(), {
    name: 'test',
    scopes,
    allWorkspaces: workspaces === 'all',
    workspaceIds: workspaces === 'all' ? [] : workspaces.map((w) => w.id),
    expiresAt: null,
  });
  return created.secret;
}

/** The context a service sees for this key in this workspace, built the way the registry builds it. */
export async function contextFor(
  app: App,
  secret: string,
  workspaceRef?: string,
): Promise<RequestContext & { principal: Principal }> {
  const principal = await authenticateKey(app.db, app.clock, secret);
  if (!principal) throw new Error('test key does not authenticate');
  const workspace = await resolveWorkspace(app.db, principal, workspaceRef);
  return {
    ...app,
    log: silentLog,
    requestId: 'test',
    actor: { type: 'key', id: principal.keyId },
    principal,
    workspace,
  };
}

/** Two organizations: `acme` with workspaces `main` and `other`, and `rival` with `theirs`. */
export async function twoTenants(app: App) {
  const acme = await createOrg(app, 'Acme');
  const rival = await createOrg(app, 'Rival');
  const main = await addWorkspace(app, acme, 'main');
  const other = await addWorkspace(app, acme, 'other');
  const theirs = await addWorkspace(app, rival, 'theirs');
  return {
    acme,
    rival,
    main,
    other,
    theirs,
    /** Every scope, only workspace `main`. */
    mainKey: await addKey(app, acme, ['*'], [main]),
    /** Every scope, every Acme workspace. */
    acmeAllKey: await addKey(app, acme, ['*'], 'all'),
    rivalKey: await addKey(app, rival, ['*'], 'all'),
  };
}
