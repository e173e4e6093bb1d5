import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/kernel/context.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { REST_PREFIX } from '../../src/transport/http/rest.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { callErr, callOk, connectHttp } from '../helpers/mcp.js';

/**
 * Header injection through stored text: a prospect's name or company is rendered into the subject of
 * an email, where a line break would end the Subject header and start another (`Bcc: ...`). Such
 * text must be refused where it comes in, over REST and MCP alike, with nothing written; not
 * accepted into drafts and approvals only to fail at send time.
 */

const BREAKS = { crlf: '\r\n', lf: '\n', cr: '\r', 'line separator': '\u2028' };
const injected = (br: string) => `Ada${br}Bcc: everyone@victim.example`;
const PROSPECT_FIELDS = ['first_name', 'last_name', 'company', 'title', 'phone'];

let t: TestApp;
let server: RunningServer;
let ws: Workspace;
let key: string;
let agent: Client;
let prospectId: string;
let draftId: string;

async function rest(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${REST_PREFIX}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Every row a refused call could have written. */
const written = async () => ({
  prospects: await t.app.db
    .selectFrom('prospects')
    .select(['id', 'email', 'first_name', 'last_name', 'company', 'title', 'phone', 'tags', 'updated_at'])
    .where('workspace_id', '=', ws.id)
    .orderBy('id')
    .execute(),
  drafts: await t.app.db
    .selectFrom('drafts')
    .select(['id', 'subject', 'body', 'updated_at'])
    .where('workspace_id', '=', ws.id)
    .orderBy('id')
    .execute(),
  events: (await t.app.db.selectFrom('events').select('id').where('workspace_id', '=', ws.id).execute()).length,
});

beforeAll(async () => {
  t = await createTestApp();
  const org = await createOrg(t.app);
  ws = await addWorkspace(t.app, org, 'main', true);
  key = await addKey(t.app, org, ['*'], [ws]);
  server = await startHttpServer(t.app, { port: 0 });
  agent = await connectHttp(server.url, key);
  const template = {
    key: 'intro',
    name: 'Intro',
    category: 'email',
    subject: 'Hello {{prospect.first_name}} {{topic | "there"}}',
    body: 'Hi {{prospect.first_name}}',
  };
  expect((await rest('POST', '/templates', template)).status).toBe(201);
  prospectId = (
    await callOk(agent, 'upsert_prospect', { email: 'ada@example.com', first_name: 'Ada', company: 'Engines' })
  ).prospect.id;
  draftId = (await callOk(agent, 'create_draft', { prospect_id: prospectId, template_key: 'intro' })).draft.id;
});
afterAll(async () => {
  await agent?.close();
  await server?.close();
  await t?.close();
});

describe('a line break in text that reaches a mail header is refused at input, naming the field', () => {
  for (const [label, br] of Object.entries(BREAKS)) {
    it(`upsert_prospect refuses a ${label} in ${PROSPECT_FIELDS.join(', ')} and tags, for new and existing prospects`, async () => {
      const before = await written();
      for (const email of ['new@example.com', 'ada@example.com']) {
        for (const field of PROSPECT_FIELDS) {
          const res = await rest('POST', '/prospects', { email, [field]: injected(br) });
          expect(res.status, `${field}: ${JSON.stringify(res.body)}`).toBe(400);
          expect(res.body.error).toMatchObject({ code: 'invalid_request', param: field });
          expect(res.body.error.message).toContain('one line');
          const text = await callErr(agent, 'upsert_prospect', { email, [field]: injected(br) });
          expect(text).toMatch(new RegExp(`^invalid_request: .*${field}: must be one line`));
        }
        const tags = await rest('POST', '/prospects', { email, tags: ['ok', `a${br}b`] });
        expect(tags.body.error).toMatchObject({ code: 'invalid_request', param: 'tags.1' });
      }
      expect(await written()).toEqual(before);
    });
  }

  it('update_draft refuses a subject with a line break, over REST and MCP, and leaves the draft as it was', async () => {
    const before = await written();
    for (const br of Object.values(BREAKS)) {
      const res = await rest('PATCH', `/drafts/${draftId}`, { subject: injected(br) });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', param: 'subject' });
      expect(await callErr(agent, 'update_draft', { draft_id: draftId, subject: injected(br) })).toMatch(
        /^invalid_request: .*subject: must be one line/,
      );
    }
    expect(await written()).toEqual(before);
  });

  it('create_draft refuses a subject that renders with a line break from a variable, and writes no draft', async () => {
    const before = await written();
    const res = await rest('POST', '/drafts', {
      prospect_id: prospectId,
      template_key: 'intro',
      variables: { topic: injected('\r\n') },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', param: 'variables' });
    const text = await callErr(agent, 'create_draft', {
      prospect_id: prospectId,
      template_key: 'intro',
      variables: { topic: injected('\n') },
    });
    expect(text).toMatch(/^invalid_request: .*line break/);
    expect(await written()).toEqual(before);
  });

  it('create_draft refuses a prospect stored with a line break before input was checked', async () => {
    const legacy = (await callOk(agent, 'upsert_prospect', { email: 'legacy@example.com' })).prospect.id;
    await t.app.db
      .updateTable('prospects')
      .set({ first_name: injected('\r\n') })
      .where('workspace_id', '=', ws.id)
      .where('id', '=', legacy)
      .execute();
    const before = await written();
    const res = await rest('POST', '/drafts', { prospect_id: legacy, template_key: 'intro' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', param: 'prospect_id' });
    expect(await written()).toEqual(before);
  });

  it('one-line values and trailing whitespace (trimmed away) are still accepted', async () => {
    const res = await rest('POST', '/prospects', {
      email: 'grace@example.com',
      first_name: 'Grace\n',
      company: 'Navy, Inc.',
      tags: ['cobol'],
    });
    expect(res.status).toBe(201);
    expect(res.body.prospect).toMatchObject({ first_name: 'Grace', company: 'Navy, Inc.' });
  });
});
