import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/kernel/context.js';
import type { AppError } from '../../../src/kernel/errors.js';
import { parseTemplate } from '../../../src/domains/templates/render.js';
import {
  createTemplate,
  deleteTemplate,
  getTemplate,
  listTemplates,
  renderStoredTemplate,
  renderTemplate,
  updateTemplate,
} from '../../../src/domains/templates/templates.service.js';
import { type TestApp, addKey, addWorkspace, contextFor, createOrg, createTestApp } from '../../helpers/app.js';

/** The error a synchronous call throws. */
function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected an error');
}

describe('template rendering', () => {
  const render = (body: string, variables: Record<string, unknown> = {}, subject: string | null = null) =>
    renderTemplate({ subject, body }, variables);

  it('fills dotted paths, defaults and plain values, whitespace-tolerant', () => {
    const out = render(
      'Hi {{prospect.first_name}} at {{  company   |   "your team"  }}, {{n}} seats, trial {{ trial }}{{x|\'!\'}}',
      {
        prospect: { first_name: 'Ada' },
        n: 3,
        trial: false,
      },
    );
    expect(out).toEqual({
      subject: null,
      body: 'Hi Ada at your team, 3 seats, trial false!',
      variables_used: ['prospect.first_name', 'company', 'n', 'trial', 'x'],
    });
    expect(render('{{a.0.b}}', { a: [{ b: 'deep' }] }).body).toBe('deep');
    expect(render('{{ greeting | "say \\"hi\\" }}" }}').body).toBe('say "hi" }}');
    expect(render('literal \\{{ not a var }} and {{ v }}', { v: '' }).body).toBe('literal {{ not a var }} and ');
    expect(render('multi\nline {{\n  name\n}}', { name: 'ok' }).body).toBe('multi\nline ok');
  });

  it('renders the subject with the same variables; a typed subject comes back as a string', () => {
    const out = renderTemplate(
      { subject: 'For {{ company }}', body: 'Hello {{ company }} and {{ who }}' },
      { company: 'Acme', who: 'you' },
    );
    const subject: string = out.subject;
    expect(subject).toBe('For Acme');
    expect(out.variables_used).toEqual(['company', 'who']);
  });

  it('treats null and undefined as missing and lists every missing name once', () => {
    const e = thrown(() =>
      render('{{a}} {{b.c}} {{a}} {{d | "ok"}} {{e}} {{f}}', { b: { c: null }, e: 'here', f: undefined }, 'Re: {{s}}'),
    );
    expect(e.code).toBe('invalid_request');
    expect(e.details).toMatchObject({ param: 'variables', missing: ['s', 'a', 'b.c', 'f'], invalid: [] });
    expect(e.message).toContain('Missing template variables: s, a, b.c, f.');
    expect(render('{{ a | "fallback" }}', { a: null }).body).toBe('fallback');
  });

  it('rejects objects and arrays, naming them, alongside the missing ones', () => {
    const e = thrown(() =>
      render('{{prospect}} {{tags}} {{gone}} {{toString}} {{constructor.name}}', {
        prospect: { first_name: 'Ada' },
        tags: ['a'],
      }),
    );
    expect(e.details).toMatchObject({
      missing: ['gone', 'toString', 'constructor.name'],
      invalid: ['prospect', 'tags'],
    });
    expect(e.message).toMatch(/prospect, tags are objects or arrays/);
    expect(thrown(() => render('{{ p }}', { p: {} })).message).toMatch(/but p is an object or array/);
  });

  it('reports syntax errors with the field, line and column', () => {
    const cases: [string, RegExp, number, number][] = [
      ['Hello {{name', /"\{\{" is never closed/, 1, 7],
      ['ok\n  {{ }}', /empty variable name/, 2, 3],
      ['{{ | "x" }}', /empty variable name/, 1, 1],
      ['{{ name | your team }}', /must be a quoted string/, 1, 11],
      ['{{ name | "your team }}', /has no closing "/, 1, 11],
      ['{{ name | \'a" }}', /has no closing '/, 1, 11],
      ['{{ first name }}', /expected "}}" or \| "default" after \{\{first, found "n"/, 1, 10],
      ['{{ name | "a" "b" }}', /expected "}}" after \{\{name, found """/, 1, 15],
      ['{{ bad..path }}', /"bad..path" is not a variable name/, 1, 4],
      ['{{ 9lives }}', /not a variable name/, 1, 4],
      ['{{ name }', /"\{\{" is never closed/, 1, 1],
    ];
    for (const [source, message, line, column] of cases) {
      const e = thrown(() => parseTemplate(source, 'body'));
      expect(e.code, source).toBe('invalid_request');
      expect(e.message, source).toMatch(message);
      expect(e.message, source).toMatch(/^body has a template syntax error at line \d+, column \d+: /);
      expect(e.details, source).toEqual({ param: 'body', line, column });
    }
    expect(thrown(() => render('fine', {}, 'Re: {{')).details?.param).toBe('subject');
    // A lone "}}" is just text.
    expect(render('a }} b').body).toBe('a }} b');
  });
});

describe('templates', () => {
  let t: TestApp;
  let ctx: RequestContext;
  let otherCtx: RequestContext;

  beforeAll(async () => {
    t = await createTestApp();
    const org = await createOrg(t.app);
    const main = await addWorkspace(t.app, org, 'main');
    const other = await addWorkspace(t.app, org, 'other');
    ctx = await contextFor(t.app, await addKey(t.app, org, ['*'], [main]));
    otherCtx = await contextFor(t.app, await addKey(t.app, org, ['*'], [other]));
  });
  afterAll(() => t?.close());

  const events = async (type: string) =>
    (
      await t.app.db
        .selectFrom('events')
        .select('data')
        .where('workspace_id', '=', ctx.workspace.id)
        .where('type', '=', type)
        .orderBy('id')
        .execute()
    ).map((r) => r.data);

  it('creates, reads by id or key, and records the event', async () => {
    const created = await createTemplate(ctx, {
      key: 'welcome-email',
      name: 'Welcome',
      category: 'email',
      subject: 'Hi {{ prospect.first_name }}',
      body: 'Welcome to {{ company | "us" }}',
    });
    expect(created).toMatchObject({
      key: 'welcome-email',
      category: 'email',
      subject: 'Hi {{ prospect.first_name }}',
      variables: ['prospect.first_name', 'company'],
    });
    expect(created.id).toMatch(/^tpl_/);
    expect(await getTemplate(ctx, created.id)).toEqual(created);
    expect(await getTemplate(ctx, 'welcome-email')).toEqual(created);
    expect(await events('template.created')).toEqual([
      { template_id: created.id, key: 'welcome-email', name: 'Welcome', category: 'email' },
    ]);
    const plain = await createTemplate(ctx, { key: 'plain', name: 'Plain', body: 'No variables' });
    expect(plain).toMatchObject({ category: 'custom', subject: null, variables: [] });
  });

  it('renders a stored template by key', async () => {
    const out = await renderStoredTemplate(ctx, 'welcome-email', { prospect: { first_name: 'Ada' } });
    expect(out).toEqual({
      subject: 'Hi Ada',
      body: 'Welcome to us',
      variables_used: ['prospect.first_name', 'company'],
    });
    await expect(renderStoredTemplate(ctx, 'welcome-email', {})).rejects.toMatchObject({
      code: 'invalid_request',
      details: { missing: ['prospect.first_name'] },
    });
    await expect(renderStoredTemplate(ctx, 'nope', {})).rejects.toMatchObject({
      code: 'not_found',
      details: { param: 'template_id' },
    });
  });

  it('refuses a taken key, a malformed key and a syntax error', async () => {
    await expect(createTemplate(ctx, { key: 'welcome-email', name: 'Again', body: 'x' })).rejects.toMatchObject({
      code: 'conflict',
      details: { param: 'key' },
    });
    for (const key of ['Welcome', 'with space', 'tpl_abc', '-lead', 'a--b', '']) {
      await expect(createTemplate(ctx, { key, name: 'Bad', body: 'x' }), key).rejects.toMatchObject({
        code: 'invalid_request',
        details: { param: 'key' },
      });
    }
    await expect(createTemplate(ctx, { key: 'broken', name: 'Broken', body: 'Hi {{ name' })).rejects.toMatchObject({
      code: 'invalid_request',
      details: { param: 'body', line: 1, column: 4 },
    });
    await expect(
      createTemplate(ctx, { key: 'broken', name: 'Broken', subject: '{{}}', body: 'ok' }),
    ).rejects.toMatchObject({ code: 'invalid_request', details: { param: 'subject' } });
    await expect(getTemplate(ctx, 'broken')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('updates only what changed, keeps keys unique, and clears the subject with null', async () => {
    const before = await getTemplate(ctx, 'welcome-email');
    const later: RequestContext = { ...ctx, clock: { now: () => new Date(Date.now() + 60_000) } };
    expect(await updateTemplate(later, before.id, { name: before.name, body: before.body })).toEqual(before);
    expect(await events('template.updated')).toEqual([]);

    const updated = await updateTemplate(later, 'welcome-email', {
      key: 'welcome',
      subject: null,
      body: 'Hello {{ who }}',
    });
    expect(updated).toMatchObject({
      id: before.id,
      key: 'welcome',
      subject: null,
      body: 'Hello {{ who }}',
      variables: ['who'],
    });
    expect(updated.updated_at > before.updated_at).toBe(true);
    expect(await events('template.updated')).toEqual([
      { template_id: before.id, key: 'welcome', changed_fields: ['key', 'subject', 'body'] },
    ]);

    await expect(updateTemplate(ctx, before.id, { key: 'plain' })).rejects.toMatchObject({
      code: 'conflict',
      details: { param: 'key' },
    });
    await expect(updateTemplate(ctx, before.id, { body: '{{ x | y }}' })).rejects.toMatchObject({
      code: 'invalid_request',
      details: { param: 'body' },
    });
    await expect(updateTemplate(ctx, 'tpl_doesnotexist', { name: 'x' })).rejects.toMatchObject({
      code: 'not_found',
      details: { param: 'template_id' },
    });
    expect((await getTemplate(ctx, before.id)).key).toBe('welcome');
  });

  it('lists by key, filters by category and pages with a cursor', async () => {
    for (const key of ['c-1', 'c-2', 'c-3'])
      await createTemplate(ctx, { key, name: key, category: 'chat', body: `chat ${key}` });
    const all = await listTemplates(ctx, {}, {});
    expect(all.items.map((x) => x.key)).toEqual(['c-1', 'c-2', 'c-3', 'plain', 'welcome']);
    expect((await listTemplates(ctx, { category: 'custom' }, {})).items.map((x) => x.key)).toEqual(['plain']);
    expect((await listTemplates(ctx, { category: 'email' }, {})).items.map((x) => x.key)).toEqual(['welcome']);
    expect((await listTemplates(ctx, { category: 'agent' }, {})).items).toEqual([]);

    const first = await listTemplates(ctx, { category: 'chat' }, { limit: 2 });
    expect(first.items.map((x) => x.key)).toEqual(['c-1', 'c-2']);
    expect(first.has_more).toBe(true);
    const second = await listTemplates(ctx, { category: 'chat' }, { limit: 2, cursor: first.next_cursor! });
    expect(second).toMatchObject({ has_more: false, next_cursor: null });
    expect(second.items.map((x) => x.key)).toEqual(['c-3']);
    await expect(listTemplates(ctx, { category: 'custom' }, { cursor: first.next_cursor! })).rejects.toMatchObject({
      code: 'invalid_request',
      details: { param: 'cursor' },
    });
  });

  it('keeps workspaces apart: the same key is free elsewhere, and ids of one are not_found in another', async () => {
    const mine = await getTemplate(ctx, 'plain');
    const theirs = await createTemplate(otherCtx, { key: 'plain', name: 'Other plain', body: 'other secret' });
    expect(theirs.id).not.toBe(mine.id);
    expect((await getTemplate(ctx, 'plain')).id).toBe(mine.id);
    await expect(getTemplate(ctx, theirs.id)).rejects.toMatchObject({
      code: 'not_found',
      message: `Template ${theirs.id} not found`,
    });
    await expect(updateTemplate(ctx, theirs.id, { name: 'hijack' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(deleteTemplate(ctx, theirs.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(renderStoredTemplate(ctx, theirs.id, {})).rejects.toMatchObject({ code: 'not_found' });
    expect((await listTemplates(ctx, {}, {})).items.map((x) => x.id)).not.toContain(theirs.id);
    expect(await getTemplate(otherCtx, theirs.id)).toEqual(theirs);
  });

  it('deletes by id or key and records the event', async () => {
    const plain = await getTemplate(ctx, 'plain');
    expect(await deleteTemplate(ctx, 'plain')).toEqual(plain);
    await expect(getTemplate(ctx, plain.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(deleteTemplate(ctx, plain.id)).rejects.toMatchObject({ code: 'not_found' });
    expect(await events('template.deleted')).toEqual([{ template_id: plain.id, key: 'plain' }]);
    const actor = await t.app.db
      .selectFrom('events')
      .select(['actor_type', 'actor_id'])
      .where('type', '=', 'template.deleted')
      .executeTakeFirstOrThrow();
    expect(actor).toEqual({ actor_type: 'key', actor_id: ctx.actor.id });
    expect((await getTemplate(otherCtx, 'plain')).name).toBe('Other plain');
  });
});
