import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe as serve, stop } from '../helpers/cli.js';
import { TEST_DB_KIND, createPgDatabase } from '../helpers/db.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/wait.js';

const DRAFTS = 8;

/**
 * Sending is at-least-once: a kill between the SMTP server's acceptance and the database recording
 * it (the one send in flight) may send that draft again after restart, with the same Message-ID so
 * receivers can drop it. Nothing is lost, and nothing else is sent twice.
 */
describe('sending survives a crash: the server killed mid-way and restarted loses no draft and repeats at most the one in flight', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-crash-'));
  let smtp: SmtpSink;
  let env: Record<string, string>;
  let drop = async () => {};

  beforeAll(async () => {
    smtp = await startSmtpSink();
    const db = TEST_DB_KIND === 'postgres' ? await createPgDatabase() : undefined;
    drop = db?.drop ?? drop;
    env = {
      ...(db ? { DATABASE_URL: db.url } : { SWITCHBOARD_DATA_DIR: path.join(dir, 'data') }),
      SWITCHBOARD_SMTP_URL: smtp.url(),
      // A killed send is presumed dead after 2 s (in production: 15 minutes).
      SWITCHBOARD_JOB_TIMEOUT_SECONDS: '2',
    };
  });
  afterAll(async () => {
    await smtp?.stop();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every approved draft, repeating at most the one in flight, with its Message-ID', {
    timeout: 90_000,
  }, async () => {
    let server = await serve(env); // once it says it listens, the first-start key is printed
    const key = server.output().match(/\b(sb_[a-z0-9]{20,})\b/)![1]!;
    const api = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${server.url}/api/v1${p}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
      return res.json();
    };
    await api('POST', '/workspaces', { name: 'Live', slug: 'live' });
    await api('PUT', '/workspaces/live/outreach', {
      outreach: { sender: { email: 'sam@sender.example' }, min_gap_seconds: 0, daily_cap: 100 },
    });
    await api('POST', '/templates', {
      workspace_id: 'live',
      key: 'hi',
      name: 'Hi',
      category: 'email',
      subject: 'Hi {{prospect.first_name}}',
      body: 'Hello {{prospect.first_name}}',
    });
    const ids: string[] = [];
    for (let i = 0; i < DRAFTS; i++) {
      const { prospect } = await api('POST', '/prospects', {
        workspace_id: 'live',
        email: `crash${i}@example.com`,
        first_name: `C${i}`,
      });
      ids.push(
        (await api('POST', '/drafts', { workspace_id: 'live', prospect_id: prospect.id, template_key: 'hi' })).draft.id,
      );
    }
    for (const id of ids)
      expect((await api('POST', `/drafts/${id}/approve?workspace_id=live`)).draft.status).toBe('approved');

    // Kill it as soon as the first email is out, with the rest approved and not yet sent.
    await until('the first email at the SMTP server', () => smtp.received.length > 0, { interval: 10 });
    await stop(server.child, 'SIGKILL');

    // A killed process's PGlite lock expires after its stale period: start again until it has.
    // A retry loop, not polling: a timeout in the middle of a start would leave that server running.
    for (let attempt = 0; ; attempt++) {
      try {
        server = await serve(env);
        break;
      } catch (err) {
        if (attempt > 30 || !String(err).includes('already open')) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    try {
      await until(
        'every draft sent',
        async () => (await api('GET', '/drafts?workspace_id=live&status=sent&limit=100')).drafts.length === DRAFTS,
        { timeout: 30_000 },
      );
      const { drafts } = await api('GET', '/drafts?workspace_id=live&limit=100');
      expect(drafts.map((d: { status: string }) => d.status)).toEqual(Array(DRAFTS).fill('sent'));
      const recipients = smtp.received.flatMap((m) => m.to);
      expect([...new Set(recipients)].sort()).toEqual(
        Array.from({ length: DRAFTS }, (_, i) => `crash${i}@example.com`).sort(),
      );
      // The worker sends one draft at a time, so at most one was in flight when the process died.
      expect(recipients.length).toBeLessThanOrEqual(DRAFTS + 1);
      const twice = recipients.filter((to, i) => recipients.indexOf(to) !== i);
      for (const to of twice)
        expect(new Set(smtp.received.filter((m) => m.to.includes(to)).map((m) => m.messageId)).size).toBe(1);
    } finally {
      await stop(server.child);
    }
  });
});
