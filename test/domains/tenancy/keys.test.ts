import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateKey } from '../../../src/domains/tenancy/auth.js';
import type { Clock } from '../../../src/kernel/clock.js';
import type { OrgContext } from '../../../src/kernel/context.js';
import { createKey, listKeys, revokeKey, rotateKey } from '../../../src/domains/tenancy/keys.service.js';
import { caught } from '../../helpers/errors.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp, silentLog } from '../../helpers/app.js';

describe('API keys', () => {
  let t: TestApp;
  let now = new Date('2026-11-22T10:00:00Z');
  const clock: Clock = { now: () => now };
  let owner: OrgContext;
  let limited: OrgContext;
  /** Only `admin`, every workspace: may manage keys, but not one holding a scope it lacks. */
  let adminOnly: OrgContext;
  let org: string;

  const asKey = async (secret: string): Promise<OrgContext> => {
    const principal = await authenticateKey(t.app.db, clock, secret);
    if (!principal) throw new Error('key does not authenticate');
    return {
      ...t.app,
      clock,
      log: silentLog,
      requestId: 'test',
      actor: { type: 'key', id: principal.keyId },
      principal,
    };
  };

  beforeAll(async () => {
    t = await createTestApp({}, { clock });
    org = await createOrg(t.app);
    const a = await addWorkspace(t.app, org, 'a');
    await addWorkspace(t.app, org, 'b');
    owner = await asKey(await addKey(t.app, org, ['*'], 'all'));
    limited = await asKey(await addKey(t.app, org, ['admin', 'prospects:read'], [a]));
    adminOnly = await asKey(await addKey(t.app, org, ['admin'], 'all'));
  });
  afterAll(() => t?.close());

  it('stores only a hash, shows the secret once, and authenticates it', async () => {
    const created = await createKey(owner, { name: 'agent', scopes: ['prospects:read'], workspaces: ['a'] });
    expect(created.secret).toMatch(/^sb_[0-9a-z]{40}$/);
    expect(created.api_key.prefix).toBe(created.secret.slice(0, 11));
    const stored = await t.app.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', created.api_key.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(created.secret);
    expect((await authenticateKey(t.app.db, clock, created.secret))?.keyId).toBe(created.api_key.id);
    expect(await authenticateKey(t.app.db, clock, `${created.secret}x`)).toBeNull();
  });

  it('expires keys at expires_at and refuses one already past', async () => {
    const created = await createKey(owner, {
      name: 'short',
      scopes: ['*'],
      workspaces: 'all',
      expires_at: '2026-11-22T11:00:00Z',
    });
    expect(await authenticateKey(t.app.db, clock, created.secret)).not.toBeNull();
    now = new Date('2026-11-22T11:00:01Z');
    expect(await authenticateKey(t.app.db, clock, created.secret)).toBeNull();
    expect((await listKeys(owner)).find((k) => k.id === created.api_key.id)?.status).toBe('expired');
    await expect(
      createKey(owner, { name: 'past', scopes: ['*'], workspaces: 'all', expires_at: '2026-11-22T09:00:00Z' }),
    ).rejects.toMatchObject({ code: 'invalid_request', details: { param: 'expires_at' } });
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
    await expect(
      createKey(limited, { name: 'x', scopes: ['prospects:write'], workspaces: ['a'] }),
    ).rejects.toMatchObject({ code: 'forbidden', details: { param: 'scopes' } });
    await expect(
      createKey(limited, { name: 'x', scopes: ['prospects:read'], workspaces: 'all' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      createKey(limited, { name: 'x', scopes: ['prospects:read'], workspaces: ['b'] }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(createKey(owner, { name: 'x', scopes: ['prospects:fly'], workspaces: 'all' })).rejects.toMatchObject({
      code: 'invalid_request',
    });
    const own = await createKey(limited, { name: 'mine', scopes: ['prospects:read'], workspaces: ['a'] });
    const visible = (await listKeys(limited)).map((k) => k.id);
    expect(visible).toContain(own.api_key.id);
    expect(visible).not.toContain(owner.principal.keyId);
    await expect(revokeKey(limited, owner.principal.keyId)).rejects.toMatchObject({ code: 'not_found' });
  });

  describe('a key manages only keys it could have created: every scope and every workspace of theirs', () => {
    /** What an unknown key id answers, to compare the refusals with. */
    const missing = async (ctx: OrgContext) => {
      const e = await caught(revokeKey(ctx, 'key_doesnotexist'));
      return { code: e.code, message: e.message.replace('key_doesnotexist', '<id>'), details: e.details };
    };
    const refusal = async (p: Promise<unknown>, keyId: string) => {
      const e = await caught(p);
      return { code: e.code, message: e.message.replace(keyId, '<id>'), details: e.details };
    };

    it('an admin-only key cannot rotate, revoke or list a * key or a drafts:approve key, which answer like missing ones', async () => {
      const star = await createKey(owner, { name: 'root', scopes: ['*'], workspaces: 'all' });
      const approver = await createKey(owner, { name: 'approver', scopes: ['drafts:approve'], workspaces: 'all' });
      const expected = await missing(adminOnly);
      expect(expected.code).toBe('not_found');
      for (const victim of [star, approver]) {
        const id = victim.api_key.id;
        expect(await refusal(rotateKey(adminOnly, id, 3600), id)).toEqual(expected);
        expect(await refusal(revokeKey(adminOnly, id), id)).toEqual(expected);
        expect((await listKeys(adminOnly)).map((k) => k.id)).not.toContain(id);
        // Nothing changed: the victim still works, was not replaced, and no key was added.
        expect(await authenticateKey(t.app.db, clock, victim.secret)).not.toBeNull();
        expect((await listKeys(owner)).find((k) => k.id === id)).toMatchObject({
          status: 'active',
          replaced_by: null,
          expires_at: null,
        });
      }
      expect((await listKeys(adminOnly)).every((k) => k.scopes.every((s) => s === 'admin'))).toBe(true);
    });

    it('a key holding the scopes but not every workspace of a key cannot manage it', async () => {
      const inB = await createKey(owner, { name: 'b-reader', scopes: ['prospects:read'], workspaces: ['a', 'b'] });
      const everywhere = await createKey(owner, { name: 'all-reader', scopes: ['prospects:read'], workspaces: 'all' });
      const expected = await missing(limited);
      for (const victim of [inB, everywhere]) {
        const id = victim.api_key.id;
        expect(await refusal(rotateKey(limited, id), id)).toEqual(expected);
        expect(await refusal(revokeKey(limited, id), id)).toEqual(expected);
        expect((await listKeys(limited)).map((k) => k.id)).not.toContain(id);
        expect(await authenticateKey(t.app.db, clock, victim.secret)).not.toBeNull();
      }
    });

    it('a key holding every scope and workspace of a key can rotate and revoke it', async () => {
      const approverAdmin = await asKey(await addKey(t.app, org, ['admin', 'drafts:approve'], 'all'));
      const approver = await createKey(owner, { name: 'approver', scopes: ['drafts:approve'], workspaces: ['a'] });
      expect((await listKeys(approverAdmin)).map((k) => k.id)).toContain(approver.api_key.id);
      const rotated = await rotateKey(approverAdmin, approver.api_key.id);
      expect(rotated.api_key.scopes).toEqual(['drafts:approve']);
      expect((await revokeKey(approverAdmin, rotated.api_key.id)).status).toBe('revoked');
    });
  });

  describe('a key is rotated once', () => {
    it('rotating an already rotated key is a conflict naming its successor, even within the grace period', async () => {
      const created = await createKey(owner, { name: 'once', scopes: ['prospects:read'], workspaces: 'all' });
      const first = await rotateKey(owner, created.api_key.id, 3600);
      const e = await caught(rotateKey(owner, created.api_key.id, 3600));
      expect(e.code).toBe('conflict');
      expect(e.message).toContain('already rotated');
      expect(e.message).toContain(first.api_key.id);
      expect((await listKeys(owner)).find((k) => k.id === created.api_key.id)?.replaced_by).toBe(first.api_key.id);
      // The successor itself can be rotated, which is how a client that lost the new secret recovers.
      const second = await rotateKey(owner, first.api_key.id);
      expect(await authenticateKey(t.app.db, clock, second.secret)).not.toBeNull();
      expect(await authenticateKey(t.app.db, clock, first.secret)).toBeNull();
    });

    it('two rotations at once leave exactly one live successor', async () => {
      const created = await createKey(owner, { name: 'raced', scopes: ['prospects:read'], workspaces: 'all' });
      const results = await Promise.allSettled([
        rotateKey(owner, created.api_key.id, 3600),
        rotateKey(owner, created.api_key.id, 3600),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toMatchObject({ code: 'conflict' });
      const successors = (await listKeys(owner)).filter((k) => k.name === 'raced' && k.id !== created.api_key.id);
      expect(successors).toHaveLength(1);
      expect(successors[0]!.id).toBe((won[0] as PromiseFulfilledResult<{ api_key: { id: string } }>).value.api_key.id);
    });
  });
});
