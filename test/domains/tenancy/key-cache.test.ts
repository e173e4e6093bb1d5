import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { authenticateKey } from '../../../src/domains/tenancy/auth.js';
import { KeyCache } from '../../../src/domains/tenancy/key-cache.js';
import { insertKey, revokeKey, rotateKey } from '../../../src/domains/tenancy/keys.service.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp, silentLog } from '../../helpers/app.js';

describe('the key cache', () => {
  let t: TestApp;
  let org: string;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp();
    org = await createOrg(t.app);
    admin = await addKey(t.app, org, ['*'], 'all');
    await addWorkspace(t.app, org, 'main');
  });
  afterAll(() => t?.close());
  afterEach(() => {
    vi.useRealTimers();
  });

  const adminContext = async (cache: KeyCache) => {
    const principal = (await authenticateKey(t.app.db, t.app.clock, admin))!;
    return {
      ...t.app,
      keyCache: cache,
      log: silentLog,
      requestId: 'test',
      actor: { type: 'key' as const, id: principal.keyId },
      principal,
    };
  };

  it('reuses a resolved key for its TTL only when the change comes from elsewhere', async () => {
    const key = await addKey(t.app, org, ['*'], 'all');
    // The TTL runs on the monotonic clock: faked, so the test decides when it has passed.
    vi.useFakeTimers({ toFake: ['performance'] });
    const cache = new KeyCache(t.app.db, t.app.clock, 300);
    const principal = await cache.authenticate(key);
    expect(principal).not.toBeNull();
    await t.app.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', principal!.keyId).execute();
    vi.advanceTimersByTime(299);
    expect(await cache.authenticate(key)).toEqual(principal);
    vi.advanceTimersByTime(1);
    expect(await cache.authenticate(key)).toBeNull();
    expect(await new KeyCache(t.app.db, t.app.clock, 0).authenticate('sb_unknown')).toBeNull();
  });

  it('remembers a key no longer than until it expires', async () => {
    // Expiry is judged on the app's clock, the cache's TTL on the monotonic one: both move together here.
    vi.useFakeTimers({ toFake: ['performance'] });
    let now = new Date();
    const clock = { now: () => now };
    const advance = (ms: number) => {
      now = new Date(now.getTime() + ms);
      vi.advanceTimersByTime(ms);
    };
    const { secret } = await insertKey(t.app.db, org, now, {
      name: 'short',
      scopes: ['*'],
      allWorkspaces: true,
      workspaceIds: [],
      expiresAt: new Date(now.getTime() + 300),
    });
    const cache = new KeyCache(t.app.db, clock, 60_000);
    expect(await cache.authenticate(secret)).not.toBeNull();
    advance(299);
    expect(await cache.authenticate(secret)).not.toBeNull();
    advance(1);
    expect(await cache.authenticate(secret)).toBeNull();
  });

  it('forgets a key revoked or rotated through this process at once', async () => {
    const cache = new KeyCache(t.app.db, t.app.clock, 60_000);
    const ctx = await adminContext(cache);
    const revoked = await addKey(t.app, org, ['*'], 'all');
    const rotated = await addKey(t.app, org, ['*'], 'all');
    const [a, b] = [await cache.authenticate(revoked), await cache.authenticate(rotated)];
    await revokeKey(ctx, a!.keyId);
    expect(await cache.authenticate(revoked)).toBeNull();
    const replacement = await rotateKey(ctx, b!.keyId);
    expect(await cache.authenticate(rotated)).toBeNull();
    expect((await cache.authenticate(replacement.secret))?.keyId).toBe(replacement.api_key.id);
  });
});
