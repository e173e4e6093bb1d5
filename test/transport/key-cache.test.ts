import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyCache } from '../../src/transport/key-cache.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';

describe('the key cache', () => {
  let t: TestApp;
  let key: string;

  beforeAll(async () => {
    t = await createTestApp();
    const org = await createOrg(t.app);
    key = await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'main')]);
  });
  afterAll(() => t?.close());

  it('reuses a resolved key for its TTL only, so a revocation takes effect within it', async () => {
    const cache = new KeyCache(t.app, 300);
    const principal = await cache.authenticate(key);
    expect(principal).not.toBeNull();
    await t.app.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', principal!.keyId).execute();
    expect(await cache.authenticate(key)).toEqual(principal);
    await new Promise((r) => setTimeout(r, 350));
    expect(await cache.authenticate(key)).toBeNull();
    expect(await new KeyCache(t.app, 0).authenticate('sb_unknown')).toBeNull();
  });
});
