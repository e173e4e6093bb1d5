import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/kernel/context.js';
import { MAX_PAGE_BYTES } from '../../../src/kernel/pagination.js';
import { getProspectHistory, listProspects, upsertProspect } from '../../../src/domains/prospects/prospects.service.js';
import { type TestApp, addKey, addWorkspace, contextFor, createOrg, createTestApp } from '../../helpers/app.js';

describe('prospects service', () => {
  let t: TestApp;
  let ctx: RequestContext;
  let other: RequestContext;

  beforeAll(async () => {
    t = await createTestApp();
    const org = await createOrg(t.app);
    const a = await addWorkspace(t.app, org, 'a');
    const b = await addWorkspace(t.app, org, 'b');
    ctx = await contextFor(t.app, await addKey(t.app, org, ['*'], [a]));
    other = await contextFor(t.app, await addKey(t.app, org, ['*'], [b]));
  });
  afterAll(() => t?.close());

  it('upserts by email: creates, updates only given fields, and a repeat changes nothing', async () => {
    const created = await upsertProspect(ctx, {
      email: ' Lin@Example.com ',
      first_name: 'Lin',
      company: 'Acme',
      tags: ['x'],
      custom_fields: { size: 10 },
    });
    expect(created.created).toBe(true);
    const updated = await upsertProspect(ctx, {
      email: 'lin@example.com',
      company: 'Acme Corp',
      custom_fields: { region: 'EU' },
    });
    expect(updated).toMatchObject({ created: false, changed_fields: ['company', 'custom_fields'] });
    expect(updated.prospect).toMatchObject({
      id: created.prospect.id,
      first_name: 'Lin',
      company: 'Acme Corp',
      custom_fields: { size: 10, region: 'EU' },
      tags: ['x'],
    });
    const repeat = await upsertProspect(ctx, { email: 'LIN@example.com', company: 'Acme Corp', tags: ['x'] });
    expect(repeat.changed_fields).toEqual([]);
    expect(repeat.prospect.updated_at).toBe(updated.prospect.updated_at);
    const cleared = await upsertProspect(ctx, { email: 'lin@example.com', company: null });
    expect(cleared.prospect.company).toBeNull();

    const history = await getProspectHistory(ctx, created.prospect.id, {});
    expect(history.items.map((e) => [e.type, e.data.changed_fields])).toEqual([
      ['prospect.created', undefined],
      ['prospect.updated', ['company', 'custom_fields']],
      ['prospect.updated', ['company']],
    ]);
  });

  it('keeps the same email apart in two workspaces', async () => {
    const mine = await upsertProspect(ctx, { email: 'shared@example.com' });
    const theirs = await upsertProspect(other, { email: 'shared@example.com' });
    expect(theirs.created).toBe(true);
    expect(theirs.prospect.id).not.toBe(mine.prospect.id);
  });

  it('two concurrent upserts of a new email make one prospect', async () => {
    const [x, y] = await Promise.all([
      upsertProspect(ctx, { email: 'race@example.com', first_name: 'R' }),
      upsertProspect(ctx, { email: 'race@example.com', first_name: 'R' }),
    ]);
    expect(x.prospect.id).toBe(y.prospect.id);
    expect([x.created, y.created].sort()).toEqual([false, true]);
  });

  it('pages through every match to the last page, newest first, without duplicates', async () => {
    for (let i = 0; i < 7; i++)
      await upsertProspect(ctx, {
        email: `page${i}@example.com`,
        tags: ['paged'],
        status: i % 2 ? 'contacted' : 'new',
      });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listProspects(ctx, { tag: 'paged' }, { cursor, limit: 3 });
      seen.push(...page.items.map((p) => p.email));
      cursor = page.next_cursor ?? undefined;
      expect(page.has_more).toBe(cursor !== undefined);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `page${i}@example.com`));

    const contacted = await listProspects(ctx, { tag: 'paged', status: 'contacted' }, {});
    expect(contacted.items.map((p) => p.email)).toEqual([
      'page5@example.com',
      'page3@example.com',
      'page1@example.com',
    ]);
    const search = await listProspects(ctx, { q: 'PAGE6' }, {});
    expect(search.items.map((p) => p.email)).toEqual(['page6@example.com']);
    const wildcard = await listProspects(ctx, { q: '%' }, {});
    expect(wildcard.items).toEqual([]);
    const future = await listProspects(ctx, { created_after: new Date(Date.now() + 3600_000).toISOString() }, {});
    expect(future.items).toEqual([]);
  });

  it('rejects a malformed cursor and a cursor replayed with other filters', async () => {
    await expect(listProspects(ctx, {}, { cursor: 'garbage' })).rejects.toMatchObject({
      code: 'invalid_request',
      details: { param: 'cursor' },
    });
    const page = await listProspects(ctx, { tag: 'paged' }, { limit: 1 });
    await expect(listProspects(ctx, { tag: 'other' }, { cursor: page.next_cursor!, limit: 1 })).rejects.toMatchObject({
      code: 'invalid_request',
      message: /different filters/,
    });
  });

  it('cuts a page short when it would be too large, and the cursor continues after it', async () => {
    const big = 'x'.repeat(1900);
    const fields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, big]));
    for (let i = 0; i < 5; i++)
      await upsertProspect(ctx, { email: `big${i}@example.com`, tags: ['big'], custom_fields: fields });
    const first = await listProspects(ctx, { tag: 'big' }, { limit: 5 });
    expect(first.truncated).toBe(true);
    expect(first.items.length).toBeLessThan(5);
    expect(JSON.stringify(first.items).length).toBeLessThanOrEqual(MAX_PAGE_BYTES);
    const rest = await listProspects(ctx, { tag: 'big' }, { limit: 5, cursor: first.next_cursor! });
    expect(new Set([...first.items, ...rest.items].map((p) => p.email)).size).toBe(
      first.items.length + rest.items.length,
    );
  });

  it('says not_found for a prospect of another workspace', async () => {
    const theirs = await upsertProspect(other, { email: 'only-theirs@example.com' });
    await expect(getProspectHistory(ctx, theirs.prospect.id, {})).rejects.toMatchObject({ code: 'not_found' });
  });
});
