import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateKey } from '../../../src/domains/tenancy/auth.js';
import type { Clock } from '../../../src/kernel/clock.js';
import type { OrgContext } from '../../../src/kernel/context.js';
import { createKey, listKeys, revokeKey, rotateKey } from '../../../src/domains/tenancy/keys.service.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp, silentLog } from '../../helpers/app.js';

describe('API keys', () => {
  let t: TestApp;
  let now = new Date('2026-11-22T10:00:00Z');
  const clock: Clock = { now: () => now };
  let owner: OrgContext;
  let limited: OrgContext;

  const asKey = async (secret: string): Promise<OrgContext> => {
    const principal = await authenticateKey(t.app.db, clock, secret);
    if (!principal) throw new Error('key does not authenticate');
    return { ...t.app, clock, log: silentLog, requestId: 'test', actor: { type: 'key', id: principal.keyId }, principal };
  };

  beforeAll(async () => {
    t = await createTestApp({}, { clock });
    const org = await createOrg(t.app);
    const a = await addWorkspace(t.app, org, 'a');
    await addWorkspace(t.app, org, 'b');
    owner = await asKey(await addKey(t.app, org, ['*'], 'all'));
    limited = await asKey(await addKey(t.app, org, ['admin', 'prospects:read'], [a]));
  });
  afterAll(() => t?.close());

  it('stores only a hash, shows the secret once, and authenticates it', async () => {
    const created = await createKey(owner, { name: 'agent', scopes: ['prospects:read'], workspaces: ['a'] });
    expect(created.secret).toMatch(/^sb_[0-9a-z]{40}$/);
    expect(created.api_key.prefix).toBe(created.secret.slice(0, 11));
    const stored = await t.app.db.selectFrom('api_keys').selectAll().where('id', '=', created.api_key.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(created.secret);
    expect((await authenticateKey(t.app.db, clock, created.secret))?.keyId).toBe(created.api_key.id);
    expect(await authenticateKey(t.app.db, clock, `${created.secret}x`)).toBeNull();
  });

  it('expires keys at expires_at and refuses one already past', async () => {
    const created = await createKey(owner, { name: 'short', scopes: ['*'], workspaces: 'all', expires_at: '2026-11-22T11:00:00Z' });
    expect(await authenticateKey(t.app.db, clock, created.secret)).not.toBeNull();
    now = new Date('2026-11-22T11:00:01Z');
    expect(await authenticateKey(t.app.db, clock, created.secret)).toBeNull();
    expect((await listKeys(owner)).find((k) => k.id === created.api_key.id)?.status).toBe('expired');
    await expect(createKey(owner, { name: 'past', scopes: ['*'], workspaces: 'all', expires_at: '2026-11-22T09:00:00Z' })).rejects.toMatchObject({ code: 'invalid_request', details: { param: 'expires_at' } });
  });

  it('rotates: the new secret works at once, the old one until the grace period ends', async () => {
    const created = await createKey(owner, { name: 'rotating', scopes: ['prospects:read'], workspaces: ['a', 'b'] });
    const rotated = await rotateKey(owner, created.api_key.id, 60);
    expect(rotated.api_key).toMatchObject({ name: 'rotating', scopes: ['prospects:read'] });
    expect(rotated.api_key.workspaces).toHaveLength(2);
    expect(await authenticateKey(t.app.db, clock, rotated.secret)).not.toBeNull();
    expect(await authenticateKey(t.app.db, clock, created.secret)).not.toBeNull();
    now = new Date(now.getTime() + 61_000);
    expect(await authenticateKey(t.app.db, clock, created.secret)).toBeNull();
    await expect(rotateKey(owner, created.api_key.id)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('revokes at once, and revoking twice is harmless', async () => {
    const created = await createKey(owner, { name: 'doomed', scopes: ['*'], workspaces: 'all' });
    expect((await revokeKey(owner, created.api_key.id)).status).toBe('revoked');
    expect((await revokeKey(owner, created.api_key.id)).status).toBe('revoked');
    expect(await authenticateKey(t.app.db, clock, created.secret)).toBeNull();
  });

  it('never lets a key hand out more than it holds, or manage keys beyond its workspaces', async () => {
    await expect(createKey(limited, { name: 'x', scopes: ['prospects:write'], workspaces: ['a'] })).rejects.toMatchObject({ code: 'forbidden', details: { param: 'scopes' } });
    await expect(createKey(limited, { name: 'x', scopes: ['prospects:read'], workspaces: 'all' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(createKey(limited, { name: 'x', scopes: ['prospects:read'], workspaces: ['b'] })).rejects.toMatchObject({ code: 'not_found' });
    await expect(createKey(owner, { name: 'x', scopes: ['prospects:fly'], workspaces: 'all' })).rejects.toMatchObject({ code: 'invalid_request' });
    const own = await createKey(limited, { name: 'mine', scopes: ['prospects:read'], workspaces: ['a'] });
    const visible = (await listKeys(limited)).map((k) => k.id);
    expect(visible).toContain(own.api_key.id);
    expect(visible).not.toContain(owner.principal.keyId);
    await expect(revokeKey(limited, owner.principal.keyId)).rejects.toMatchObject({ code: 'not_found' });
  });
});
