import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractLinks, renderEmail } from '../../../src/domains/outreach/email-body.js';
import type { Workspace } from '../../../src/kernel/context.js';
import { newId } from '../../../src/kernel/ids.js';
import { type RunningServer, startHttpServer } from '../../../src/transport/http/server.js';
import { type TestApp, addWorkspace, createOrg, createTestApp } from '../../helpers/app.js';

/**
 * Tracked links: the HTML of a sent email shows link N and sends its clicks to /t/c/TOKEN/N, which
 * redirects to link N of the approved body. Both sides must number the same links, or a crafted
 * body shows `https://shown.example/` and sends the reader elsewhere.
 */

const PUBLIC_URL = 'http://switchboard.test';
const SENDER = { email: 'sam@sender.example' };

const decodeEntities = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);

/** The tracked links of rendered HTML, in order: where each click goes (its number) and what it shows. */
function trackedLinks(html: string, token: string): { index: number; shown: string }[] {
  return [...html.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)]
    .map((m) => ({ href: decodeEntities(m[1]!), shown: decodeEntities(m[2]!) }))
    .filter((a) => a.href.startsWith(`${PUBLIC_URL}/t/c/${token}/`))
    .map((a) => ({ index: Number(a.href.slice(a.href.lastIndexOf('/') + 1)), shown: a.shown }));
}

/** Bodies whose HTML escaping (`'` → `&#39;`, `<` → `&lt;`, ...) joins two URLs into one, or splits one. */
const CRAFTED = [
  "Docs: https://x.example/'https://evil.example/ and https://shown.example/",
  'See https://x.example/<https://evil.example/ then https://shown.example/',
  'Quote "https://x.example/"https://evil.example/" or https://shown.example/',
  'Tag https://x.example/>https://evil.example/ and https://shown.example/',
  'Query https://a.example/?q=1&amp;https://evil.example/ and https://shown.example/',
  'Trail https://x.example/a& https://evil.example/&lt; https://shown.example/',
  'Mixed <https://x.example/\'>https://evil.example/"&\n\nhttps://shown.example/',
];

function expectShownIsResolved(body: string) {
  const token = 'tok123';
  const { html } = renderEmail(PUBLIC_URL, SENDER, {
    id: 'drf_1',
    to_email: 'ada@example.com',
    subject: 'Hi',
    body,
    token,
  });
  const links = trackedLinks(html!, token);
  const resolved = extractLinks(body);
  // Every link of the body is shown once, in order, and link N leads to the URL shown as link N.
  expect(
    links.map((l) => l.index),
    body,
  ).toEqual(resolved.map((_, i) => i));
  for (const l of links) expect(resolved[l.index], body).toBe(l.shown);
}

describe('tracked link numbering', () => {
  it('shows as link N the URL that link N redirects to, for bodies crafted to shift the numbering', () => {
    for (const body of CRAFTED) expectShownIsResolved(body);
    expect(extractLinks(CRAFTED[0]!)).toEqual([
      'https://x.example/',
      'https://evil.example/',
      'https://shown.example/',
    ]);
  });

  it('holds for many bodies mixing URLs, entities and the characters HTML escapes', () => {
    // A fixed-seed generator, so a failure is reproducible.
    let seed = 42;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = [
      'https://a.example/',
      'http://b.example/p?x=1&y=2',
      'https://c.example/',
      '&',
      '&amp;',
      '&#39;',
      '&lt;',
      '<',
      '>',
      '"',
      "'",
      ')',
      ']',
      '.',
      ',',
      ' ',
      '\n',
      '\n\n',
      'text',
      'é',
    ];
    for (let n = 0; n < 500; n++) {
      const body = Array.from({ length: 1 + next(12) }, () => pieces[next(pieces.length)]).join('');
      expectShownIsResolved(body);
    }
  });
});

describe('the click redirect, through HTTP', () => {
  let t: TestApp;
  let server: RunningServer;
  let ws: Workspace;

  beforeAll(async () => {
    t = await createTestApp({ publicUrl: PUBLIC_URL });
    ws = await addWorkspace(t.app, await createOrg(t.app), 'main', true);
    server = await startHttpServer(t.app, { port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  /** A draft as the send job leaves it, with this body and token. */
  async function sentDraft(body: string, token: string) {
    const now = t.app.clock.now();
    const prospectId = newId('pro');
    await t.app.db
      .insertInto('prospects')
      .values({
        workspace_id: ws.id,
        id: prospectId,
        email: `${token}@example.com`,
        status: 'contacted',
        tags: [],
        custom_fields: '{}',
        created_at: now,
        updated_at: now,
      })
      .execute();
    await t.app.db
      .insertInto('drafts')
      .values({
        workspace_id: ws.id,
        id: newId('drf'),
        prospect_id: prospectId,
        to_email: `${token}@example.com`,
        subject: 'Hi',
        body,
        status: 'sent',
        variables: '{}',
        provenance: '{}',
        token,
        sent_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }

  it('every tracked link of a crafted email redirects to the URL it shows', async () => {
    for (const [n, body] of CRAFTED.entries()) {
      const token = `crafted${n}token`;
      await sentDraft(body, token);
      const { html } = renderEmail(PUBLIC_URL, SENDER, {
        id: 'drf_x',
        to_email: 'x@example.com',
        subject: 'Hi',
        body,
        token,
      });
      const links = trackedLinks(html!, token);
      expect(links.length, body).toBeGreaterThan(0);
      for (const l of links) {
        const res = await fetch(`${server.url}/t/c/${token}/${l.index}`, { redirect: 'manual' });
        expect(res.status, body).toBe(302);
        expect(res.headers.get('location'), `${body}: link ${l.index}`).toBe(l.shown);
      }
      expect(links.some((l) => l.shown === 'https://shown.example/')).toBe(true);
      const past = await fetch(`${server.url}/t/c/${token}/${links.length}`, { redirect: 'manual' });
      expect(past.status).toBe(404);
    }
  });
});
