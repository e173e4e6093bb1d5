import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/kernel/context.js';
import { upsertProspect, getProspectHistory } from '../../../src/domains/prospects/prospects.service.js';
import {
  addSuppression,
  checkSuppression,
  isSuppressed,
  listSuppressions,
  parseTarget,
  removeSuppression,
} from '../../../src/domains/suppression/suppression.service.js';
import { type TestApp, addKey, addWorkspace, contextFor, createOrg, createTestApp } from '../../helpers/app.js';

describe('suppression list', () => {
  let t: TestApp;
  let ctx: RequestContext;

  beforeAll(async () => {
    t = await createTestApp();
    const org = await createOrg(t.app);
    ctx = await contextFor(t.app, await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'main')]));
  });
  afterAll(() => t?.close());

  it('parses addresses and whole domains, and rejects anything else', () => {
    expect(parseTarget(' Jane@Example.COM ')).toEqual({
      kind: 'email',
      value: 'jane@example.com',
      domain: 'example.com',
    });
    expect(parseTarget('@Example.org')).toEqual({ kind: 'domain', value: '@example.org', domain: 'example.org' });
    for (const bad of ['jane', 'jane@', '@', 'jane@localhost', 'a b@example.com', '@-bad-.com', 'x@exa_mple.com']) {
      expect(() => parseTarget(bad), bad).toThrow(/neither an email address/);
    }
  });

  it('adds once, blocks the address and, for a domain, every address in it', async () => {
    const first = await addSuppression(ctx, { email: 'Stop@Example.com', reason: 'asked' });
    const again = await addSuppression(ctx, { email: 'stop@example.com', reason: 'asked again' });
    expect(first.created).toBe(true);
    expect(again).toEqual({ suppression: first.suppression, created: false });
    await addSuppression(ctx, { email: '@blocked.example', reason: 'competitor' });

    expect(await checkSuppression(ctx, 'STOP@example.com')).toMatchObject({
      email: 'stop@example.com',
      suppressed: true,
      matches: [{ value: 'stop@example.com' }],
    });
    expect((await checkSuppression(ctx, 'anyone@blocked.example')).matches.map((m) => m.value)).toEqual([
      '@blocked.example',
    ]);
    expect((await checkSuppression(ctx, 'free@example.com')).suppressed).toBe(false);
    expect(await isSuppressed(t.app.db, ctx.workspace.id, 'ceo@blocked.example')).toBe(true);
  });

  it('records additions and removals in the prospect history', async () => {
    const { prospect } = await upsertProspect(ctx, { email: 'history@example.com' });
    const { suppression } = await addSuppression(ctx, { email: 'history@example.com', reason: 'bounced' });
    const removed = await removeSuppression(ctx, suppression.id);
    expect(removed.id).toBe(suppression.id);
    expect((await checkSuppression(ctx, 'history@example.com')).suppressed).toBe(false);
    const events = (await getProspectHistory(ctx, prospect.id, {})).items.map((e) => e.type);
    expect(events).toEqual(['prospect.created', 'suppression.added', 'suppression.removed']);
    await expect(removeSuppression(ctx, suppression.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('lists newest first, by kind and by text', async () => {
    const domains = await listSuppressions(ctx, { kind: 'domain' }, {});
    expect(domains.items.map((s) => s.value)).toEqual(['@blocked.example']);
    const text = await listSuppressions(ctx, { q: 'STOP' }, {});
    expect(text.items.map((s) => s.value)).toEqual(['stop@example.com']);
    const all = await listSuppressions(ctx, {}, { limit: 1 });
    expect(all.items.map((s) => s.value)).toEqual(['@blocked.example']);
    expect(all.has_more).toBe(true);
  });
});
