import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../../src/app.js';
import { openDatabase } from '../../../../src/adapters/db/connect.js';
import type { RequestContext } from '../../../../src/kernel/context.js';
import {
  type InboundEmail,
  getInboundSettings,
  pollMailbox,
  reviveStalledPolls,
  setInboundMailbox,
} from '../../../../src/domains/replies/index.js';
import { addKey, addWorkspace, contextFor, createOrg, silentLog, testConfig } from '../../../helpers/app.js';
import { createSharedTestDatabase } from '../../../helpers/db.js';
import { type Dovecot, startDovecot } from '../../../helpers/dovecot.js';
import { caught } from '../../../helpers/errors.js';

const SECRET_KEY = randomBytes(32).toString('base64');

/** Mimics the replies domain's contract: one stored reply per (workspace, Message-ID). */
function recordingReceiver() {
  const stored = new Map<string, InboundEmail>();
  const calls: InboundEmail[] = [];
  const receive = async (ctx: RequestContext, email: InboundEmail) => {
    calls.push(email);
    const key = `${ctx.workspace.id}:${email.messageId}`;
    if (!stored.has(key)) stored.set(key, email);
    return { id: key };
  };
  return { receive, calls, stored };
}

const message = (id: string, subject = `Re: hello ${id}`) =>
  `From: Ada <ada@example.com>\r\nTo: sam@sender.example\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.com>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\nYes, let's talk (${id}).\r\n`;

describe('IMAP polling against a real Dovecot on loopback', () => {
  let dovecot: Dovecot;
  let dir: string;
  let shared: Awaited<ReturnType<typeof createSharedTestDatabase>>;
  let app: App;
  let ctx: RequestContext;

  const open = async () => {
    const handle = shared.env.DATABASE_URL
      ? await openDatabase({ kind: 'postgres', url: shared.env.DATABASE_URL, poolSize: 4 })
      : await openDatabase({ kind: 'pglite', dataDir: shared.env.SWITCHBOARD_DATA_DIR!, lockStaleMs: 20_000 });
    return createApp(testConfig({ secretKey: SECRET_KEY }), silentLog, { database: handle });
  };
  const mailboxRow = () =>
    app.db
      .selectFrom('inbound_mailboxes')
      .select(['id', 'poll_generation', 'last_uid', 'uid_validity', 'last_error', 'poll_lease_until'])
      .where('workspace_id', '=', ctx.workspace.id)
      .executeTakeFirstOrThrow();
  /** One poll now, as the job would run it (with the generation the mailbox expects). */
  const poll = async (receive: ReturnType<typeof recordingReceiver>['receive'], on: App = app) => {
    const row = await mailboxRow();
    return pollMailbox(
      on,
      silentLog,
      { workspace_id: ctx.workspace.id, mailbox_id: row.id, generation: row.poll_generation },
      receive,
    );
  };

  beforeAll(async () => {
    dovecot = await startDovecot();
    dir = mkdtempSync(path.join(os.tmpdir(), 'sb-imap-'));
    shared = await createSharedTestDatabase(path.join(dir, 'db'));
    app = await createApp(testConfig({ secretKey: SECRET_KEY }), silentLog, { database: shared.handle });
    const org = await createOrg(app);
    const ws = await addWorkspace(app, org, 'main');
    ctx = await contextFor(app, await addKey(app, org, ['*'], [ws]));
  });
  afterAll(async () => {
    await app?.close();
    await shared?.drop();
    await dovecot?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores the password sealed, never shows it, and reads only mail that arrives after configuration', async () => {
    await dovecot.append(message('before-config'), 'INBOX', new Date(Date.now() - 3600_000));
    const mailbox = await setInboundMailbox(ctx, { url: dovecot.url() });
    expect(mailbox).toMatchObject({
      host: '127.0.0.1',
      port: dovecot.port,
      tls: false,
      folder: 'INBOX',
      last_uid: '0',
    });
    const stored = await app.db.selectFrom('inbound_mailboxes').select('password_sealed').executeTakeFirstOrThrow();
    expect(stored.password_sealed).not.toContain(dovecot.pass);
    expect(JSON.stringify(await getInboundSettings(ctx))).not.toContain(dovecot.pass);

    // Its internal date is before the mailbox was configured: only later mail counts.
    const r = recordingReceiver();
    const first = await poll(r.receive);
    expect(first).toMatchObject({ status: 'polled', received: 0 });
    await dovecot.append(message('one'));
    await dovecot.append(message('two'));
    expect(await poll(r.receive)).toMatchObject({ status: 'polled', received: 2 });
    expect(r.calls.map((e) => e.messageId)).toEqual(['one@example.com', 'two@example.com']);
    expect(r.calls[0]).toMatchObject({ from: { address: 'ada@example.com' }, subject: 'Re: hello one' });
    // Nothing new: nothing read again.
    expect(await poll(r.receive)).toMatchObject({ status: 'polled', received: 0 });
    expect(r.calls).toHaveLength(2);
    const settings = await getInboundSettings(ctx);
    expect(settings.mailbox).toMatchObject({
      last_uid: '3',
      uid_validity: String(await dovecot.uidValidity()),
      last_error: null,
      received_count: 2,
    });
    expect(settings.mailbox?.last_success_at).not.toBeNull();
  });

  it('after a restart (a new process on the same database) nothing is read twice and new mail is read', async () => {
    await app.close();
    app = await open();
    ctx = { ...ctx, ...app };
    const r = recordingReceiver();
    expect(await poll(r.receive)).toMatchObject({ status: 'polled', received: 0 });
    await dovecot.append(message('three'));
    expect(await poll(r.receive)).toMatchObject({ status: 'polled', received: 1 });
    expect(r.calls.map((e) => e.messageId)).toEqual(['three@example.com']);
  });

  it('a job of an older chain stops, and a poll never overlaps another of the same mailbox', async () => {
    const row = await mailboxRow();
    const r = recordingReceiver();
    const stale = await pollMailbox(
      app,
      silentLog,
      { workspace_id: ctx.workspace.id, mailbox_id: row.id, generation: 'not-the-current-one' },
      r.receive,
    );
    expect(stale).toEqual({ status: 'stale' });
    await app.db
      .updateTable('inbound_mailboxes')
      .set({ poll_lease_until: new Date(Date.now() + 60_000) })
      .where('id', '=', row.id)
      .execute();
    expect(await poll(r.receive)).toEqual({ status: 'busy' });
    await app.db.updateTable('inbound_mailboxes').set({ poll_lease_until: null }).where('id', '=', row.id).execute();
    expect(r.calls).toEqual([]);
  });

  it('a new UIDVALIDITY (the folder was recreated) restarts from UID 1, and receive deduplicates', async () => {
    await dovecot.recreate('Replies');
    await setInboundMailbox(ctx, { url: dovecot.url({ folder: 'Replies' }), read_existing: true });
    const r = recordingReceiver();
    await dovecot.append(message('r1'), 'Replies');
    await dovecot.append(message('r2'), 'Replies');
    expect(await poll(r.receive)).toMatchObject({ status: 'polled', received: 2, lastUid: '2' });
    const before = (await mailboxRow()).uid_validity;

    await dovecot.recreate('Replies');
    await dovecot.append(message('r1'), 'Replies'); // the same message, renumbered
    await dovecot.append(message('r3'), 'Replies');
    const after = await poll(r.receive);
    expect(after).toMatchObject({ status: 'polled', received: 2, lastUid: '2' });
    expect((await mailboxRow()).uid_validity).not.toBe(before);
    expect(r.calls.map((e) => e.messageId)).toEqual([
      'r1@example.com',
      'r2@example.com',
      'r1@example.com',
      'r3@example.com',
    ]);
    expect([...r.stored.keys()]).toHaveLength(3);
  });

  it('a refused login is recorded as last_error, without the password, and cleared by the next good poll', async () => {
    await setInboundMailbox(ctx, { url: dovecot.url({ pass: 'wrong-password' }) });
    const r = recordingReceiver();
    const failed = await poll(r.receive);
    expect(failed.status).toBe('failed');
    const { mailbox } = await getInboundSettings(ctx);
    expect(mailbox?.last_error).toMatch(/^login refused by 127\.0\.0\.1:\d+/);
    expect(mailbox?.last_error).not.toContain('wrong-password');
    expect(mailbox?.last_error_at).not.toBeNull();
    // The same account with the right password keeps the mailbox (and its read position).
    const fixed = await setInboundMailbox(ctx, { url: dovecot.url() });
    expect(fixed.id).toBe(mailbox?.id);
    expect(await poll(r.receive)).toMatchObject({ status: 'polled' });
    expect((await getInboundSettings(ctx)).mailbox?.last_error).toBeNull();
  });

  it('a closed port and a missing folder are recorded too', async () => {
    const r = recordingReceiver();
    await setInboundMailbox(ctx, { url: dovecot.url({ folder: 'Nope' }) });
    await poll(r.receive);
    expect((await mailboxRow()).last_error).toMatch(/Nope|IMAP error/);
    await setInboundMailbox(ctx, { host: '127.0.0.1', port: 1, tls: false, username: 'u', password: 'p' });
    await poll(r.receive);
    expect((await mailboxRow()).last_error).toBe('connection refused by 127.0.0.1:1');
  });

  it('restarts a poll chain that died, once', async () => {
    await setInboundMailbox(ctx, { url: dovecot.url() });
    const old = new Date(Date.now() - 24 * 3600_000);
    await app.db.updateTable('inbound_mailboxes').set({ last_poll_at: old, created_at: old }).execute();
    expect(await reviveStalledPolls(app)).toBe(1);
    await app.db.updateTable('inbound_mailboxes').set({ last_poll_at: new Date() }).execute();
    expect(await reviveStalledPolls(app)).toBe(0);
  });

  it('refuses a mailbox URL that is not IMAP or lacks a login, and never echoes it', async () => {
    for (const url of ['https://u:p@host/INBOX', 'imaps://host/INBOX', 'not a url s3cret']) {
      const err = await caught(setInboundMailbox(ctx, { url }));
      expect(err.code).toBe('invalid_request');
      expect(err.message).not.toContain('s3cret');
    }
    expect((await caught(setInboundMailbox(ctx, { url: dovecot.url(), host: 'x' }))).code).toBe('invalid_request');
  });
});
