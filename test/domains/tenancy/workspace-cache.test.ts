import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { authenticateKey } from '../../../src/domains/tenancy/auth.js';
import type { Principal } from '../../../src/kernel/context.js';
import { WorkspaceCache } from '../../../src/domains/tenancy/workspace-cache.js';
import { OutreachSettings } from '../../../src/domains/outreach/settings.model.js';
import { updateOutreachSettings } from '../../../src/domains/outreach/settings.service.js';
import { type TestApp, contextFor, createTestApp, twoTenants } from '../../helpers/app.js';

describe('the workspace cache', () => {
  let t: TestApp;
  let tenants: Awaited<ReturnType<typeof twoTenants>>;
  const principal = async (key: string) => (await authenticateKey(t.app.db, t.app.clock, key)) as Principal;

  beforeAll(async () => {
    t = await createTestApp();
    tenants = await twoTenants(t.app);
  });
  afterAll(() => t?.close());
  afterEach(() => {
    vi.useRealTimers();
  });

  const rename = (id: string, name: string) =>
    t.app.db.updateTable('workspaces').set({ name }).where('id', '=', id).execute();

  it('reuses a resolved workspace for its TTL only, by id, by slug and for a one-workspace key', async () => {
    // The TTL runs on the monotonic clock: faked, so the test decides when it has passed.
    vi.useFakeTimers({ toFake: ['performance'] });
    const cache = new WorkspaceCache(300);
    const p = await principal(tenants.mainKey);
    expect((await cache.resolve(t.app.db, p, 'main')).name).toBe('main');
    expect((await cache.resolve(t.app.db, p, undefined)).name).toBe('main');
    await rename(tenants.main.id, 'renamed elsewhere');
    expect((await cache.resolve(t.app.db, p, 'main')).name).toBe('main');
    expect((await cache.resolve(t.app.db, p, undefined)).name).toBe('main');
    expect((await cache.resolve(t.app.db, p, tenants.main.id)).name).toBe('renamed elsewhere');
    vi.advanceTimersByTime(299);
    expect((await cache.resolve(t.app.db, p, 'main')).name).toBe('main');
    vi.advanceTimersByTime(1);
    expect((await cache.resolve(t.app.db, p, 'main')).name).toBe('renamed elsewhere');
    expect((await cache.resolve(t.app.db, p, undefined)).name).toBe('renamed elsewhere');
    await rename(tenants.main.id, 'main');
  });

  it('checks the grant on every hit and never crosses organizations', async () => {
    const cache = new WorkspaceCache(60_000);
    const all = await principal(tenants.acmeAllKey);
    const mainOnly = await principal(tenants.mainKey);
    const rival = await principal(tenants.rivalKey);
    expect((await cache.resolve(t.app.db, all, 'other')).id).toBe(tenants.other.id);
    await expect(cache.resolve(t.app.db, mainOnly, 'other')).rejects.toMatchObject({
      code: 'not_found',
      message: 'Workspace other not found',
    });
    await expect(cache.resolve(t.app.db, mainOnly, tenants.other.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(cache.resolve(t.app.db, rival, 'other')).rejects.toMatchObject({ code: 'not_found' });
    expect((await cache.resolve(t.app.db, rival, 'theirs')).id).toBe(tenants.theirs.id);
  });

  it('forgets a workspace as soon as this process writes it, and hands out objects nobody can change', async () => {
    const cache = new WorkspaceCache(60_000);
    const ctx = { ...(await contextFor(t.app, tenants.mainKey, 'main')), workspaceCache: cache };
    const before = await cache.resolve(t.app.db, ctx.principal, 'main');
    expect(() => {
      (before.settings as Record<string, unknown>).outreach = {};
    }).toThrow(TypeError);
    await updateOutreachSettings(ctx, OutreachSettings.parse({ daily_cap: 7 }));
    const after = await cache.resolve(t.app.db, ctx.principal, 'main');
    expect((after.settings.outreach as { daily_cap: number }).daily_cap).toBe(7);
  });
});
