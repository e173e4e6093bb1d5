import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/kernel/clock.js';
import type { RequestContext } from '../../../src/kernel/context.js';
import { AppError } from '../../../src/kernel/errors.js';
import { approveDraft, createDraft, getDraft } from '../../../src/domains/outreach/drafts.service.js';
import { sendApprovedDraft } from '../../../src/domains/outreach/send.job.js';
import { upsertProspect } from '../../../src/domains/prospects/prospects.service.js';
import { addSuppression } from '../../../src/domains/suppression/suppression.service.js';
import { createTemplate } from '../../../src/domains/templates/templates.service.js';
import { OutreachSettings } from '../../../src/domains/outreach/settings.model.js';
import { updateOutreachSettings } from '../../../src/domains/outreach/settings.service.js';
import type { MailSender, OutgoingEmail, SentEmail } from '../../../src/kernel/ports.js';
import { SinkSender } from '../../../src/adapters/mail/sink.js';
import {
  type TestApp,
  addKey,
  addWorkspace,
  contextFor,
  createOrg,
  createTestApp,
  silentLog,
} from '../../helpers/app.js';

/** A live sender whose next sends can be made to fail, recording what it sent. */
class ScriptedSender implements MailSender {
  readonly name = 'smtp' as const;
  sent: OutgoingEmail[] = [];
  failures: AppError[] = [];
  /** While set, a send waits here (after `entered` fires): a send in flight. */
  hold: { entered: () => void; release: Promise<void> } | undefined;
  async send(email: OutgoingEmail): Promise<SentEmail> {
    const hold = this.hold;
    if (hold) {
      hold.entered();
      await hold.release;
    }
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(email);
    return { provider: 'smtp', providerMessageId: `<${email.idempotencyKey}@test>` };
  }
}

describe('the sending job: gates, retries and crash recovery', () => {
  let t: TestApp;
  let ctx: RequestContext;
  let now = new Date('2026-11-23T10:00:00Z'); // a Monday
  const clock: Clock = { now: () => now };
  const live = new ScriptedSender();
  const sink = new SinkSender();
  let n = 0;
  let org: string;

  const job = (draftId: string, lastAttempt = false) =>
    sendApprovedDraft(
      t.app,
      silentLog,
      { workspace_id: ctx.workspace.id, draft_id: draftId },
      { attempt: 1, lastAttempt },
    );
  async function approvedDraft(): Promise<string> {
    const { prospect } = await upsertProspect(ctx, { email: `person${++n}@example.com`, first_name: `P${n}` });
    const draft = await createDraft(ctx, { prospect_id: prospect.id, template_key: 'plain', variables: {} });
    return (await approveDraft(ctx, draft.id)).id;
  }
  async function settings(outreach: Record<string, unknown>) {
    const updated = await updateOutreachSettings(
      ctx,
      OutreachSettings.parse({ sender: { email: 'me@sender.example' }, ...outreach }),
    );
    ctx = { ...ctx, workspace: updated };
  }
  /** When the job rescheduled the draft's send for. */
  const retryAt = async (draftId: string) =>
    new Date(
      (
        await t.app.db
          .selectFrom('pgboss.job' as never)
          .select((eb) => eb.fn.max('start_after' as never).as('at'))
          .where('singleton_key' as never, '=', `send:${draftId}` as never)
          .executeTakeFirstOrThrow()
      ).at as Date,
    ).toISOString();
  const queued = async () =>
    Number(
      (
        await t.app.db
          .selectFrom('pgboss.job' as never)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('name' as never, '=', 'outreach.send' as never)
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    t = await createTestApp({}, { clock, mail: { live, sink } });
    org = await createOrg(t.app);
    ctx = await contextFor(t.app, await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'main')]));
    ctx = { ...ctx, clock };
    await createTemplate(ctx, {
      key: 'plain',
      name: 'Plain',
      category: 'email',
      subject: 'Hi {{prospect.first_name}}',
      body: 'Hello {{prospect.first_name}}, see https://example.com/a.',
    });
  });
  beforeEach(() => {
    live.sent = [];
    now = new Date(now.getTime() + 7 * 86_400_000); // a fresh week: no earlier sends count
  });
  afterAll(() => t?.close());

  it('stops at the daily cap and resumes the next day', async () => {
    await settings({ daily_cap: 1, min_gap_seconds: 0 });
    const [a, b] = [await approvedDraft(), await approvedDraft()];
    await job(a);
    const before = await queued();
    await job(b);
    expect(live.sent.map((e) => e.to)).toHaveLength(1);
    expect((await getDraft(ctx, b)).status).toBe('approved');
    expect(await queued()).toBe(before + 1);
    now = new Date(now.getTime() + 86_400_000);
    await job(b);
    expect(live.sent).toHaveLength(2);
    expect((await getDraft(ctx, b)).status).toBe('sent');
  });

  it('keeps the minimum gap between sends', async () => {
    await settings({ daily_cap: 100, min_gap_seconds: 600 });
    const [a, b] = [await approvedDraft(), await approvedDraft()];
    await job(a);
    now = new Date(now.getTime() + 60_000);
    await job(b);
    expect(live.sent).toHaveLength(1);
    now = new Date(now.getTime() + 600_000);
    await job(b);
    expect(live.sent).toHaveLength(2);
  });

  it('counts a send still in flight on another worker against the gap and the cap', async () => {
    for (const gate of [
      { daily_cap: 100, min_gap_seconds: 600 },
      { daily_cap: 1, min_gap_seconds: 0 },
    ]) {
      await settings(gate);
      live.sent = [];
      now = new Date(now.getTime() + 7 * 86_400_000);
      const [a, b] = [await approvedDraft(), await approvedDraft()];
      let release!: () => void;
      const entered = new Promise<void>((resolve) => {
        live.hold = { entered: resolve, release: new Promise((r) => (release = r)) };
      });
      const first = job(a);
      await entered;
      live.hold = undefined;
      // The first draft is claimed but not yet recorded as sent: the second must wait for it.
      await job(b);
      release();
      await first;
      expect(live.sent.map((e) => e.to)).toEqual([(await getDraft(ctx, a)).to_email]);
      expect((await getDraft(ctx, b)).status).toBe('approved');
    }
  });

  it('sends only inside the sending window of the workspace time zone', async () => {
    await settings({
      daily_cap: 100,
      min_gap_seconds: 0,
      sending_window: { start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5] },
    });
    const a = await approvedDraft();
    const monday = now;
    now = new Date(monday.getTime() - 2 * 86_400_000); // Saturday
    await job(a);
    expect(live.sent).toHaveLength(0);
    now = new Date(monday.getTime() + 8 * 3600_000); // Monday 18:00 UTC
    await job(a);
    expect(live.sent).toHaveLength(0);
    now = monday; // Monday 10:00
    await job(a);
    expect(live.sent).toHaveLength(1);
  });

  describe('with a window that crosses midnight, in America/New_York (UTC-5 in January)', () => {
    let day: RequestContext;
    beforeAll(async () => {
      day = ctx;
      const night = await addWorkspace(t.app, org, 'night');
      await t.app.db
        .updateTable('workspaces')
        .set({ timezone: 'America/New_York' })
        .where('id', '=', night.id)
        .execute();
      ctx = { ...(await contextFor(t.app, await addKey(t.app, org, ['*'], [night]))), clock };
      await createTemplate(ctx, {
        key: 'plain',
        name: 'Plain',
        category: 'email',
        subject: 'Hi',
        body: 'Hello {{prospect.first_name}}.',
      });
    });
    afterAll(() => {
      ctx = day;
    });

    it('sends at 23:30 local and waits at 12:00 for the window to open at 22:00', async () => {
      await settings({
        daily_cap: 100,
        min_gap_seconds: 0,
        sending_window: { start: '22:00', end: '06:00', days: [1, 2, 3, 4, 5] },
      });
      const a = await approvedDraft();
      now = new Date('2027-01-13T17:00:00Z'); // Wednesday 12:00
      await job(a);
      expect(live.sent).toHaveLength(0);
      expect(await retryAt(a)).toBe('2027-01-14T03:00:00.000Z'); // Wednesday 22:00
      now = new Date('2027-01-14T04:30:00Z'); // Wednesday 23:30
      await job(a);
      expect(live.sent).toHaveLength(1);
      expect((await getDraft(ctx, a)).status).toBe('sent');
    });

    it('counts the daily cap per night, from the evening the window opened', async () => {
      await settings({
        daily_cap: 1,
        min_gap_seconds: 0,
        sending_window: { start: '22:00', end: '06:00', days: [1, 2, 3, 4, 5] },
      });
      const [a, b] = [await approvedDraft(), await approvedDraft()];
      now = new Date('2027-01-21T04:30:00Z'); // Wednesday 23:30
      await job(a);
      now = new Date('2027-01-21T06:00:00Z'); // Thursday 01:00, still Wednesday's night
      await job(b);
      expect(live.sent).toHaveLength(1);
      expect(await retryAt(b)).toBe('2027-01-22T03:00:00.000Z'); // Thursday 22:00
      now = new Date('2027-01-22T03:30:00Z');
      await job(b);
      expect(live.sent).toHaveLength(2);
    });
  });

  it('checks the suppression list again at send time', async () => {
    await settings({ daily_cap: 100, min_gap_seconds: 0 });
    const a = await approvedDraft();
    const draft = await getDraft(ctx, a);
    await addSuppression(ctx, { email: draft.to_email, reason: 'asked after approval' });
    await job(a);
    expect(live.sent).toHaveLength(0);
    expect(await getDraft(ctx, a)).toMatchObject({ status: 'failed', send_error: 'suppressed at send time' });
  });

  it('retries a transient failure, gives up on a permanent one, and never sends twice', async () => {
    await settings({ daily_cap: 100, min_gap_seconds: 0 });
    const a = await approvedDraft();
    live.failures.push(new AppError('upstream_error', 'connection reset', { provider: 'smtp', permanent: false }));
    await expect(job(a)).rejects.toMatchObject({ code: 'upstream_error' });
    expect(await getDraft(ctx, a)).toMatchObject({ status: 'approved', send_error: 'connection reset' });
    await job(a);
    await job(a);
    expect(live.sent).toHaveLength(1);
    expect((await getDraft(ctx, a)).status).toBe('sent');

    const b = await approvedDraft();
    live.failures.push(
      new AppError('upstream_error', '550 mailbox unavailable', { provider: 'smtp', permanent: true, smtp_code: 550 }),
    );
    await job(b);
    expect(await getDraft(ctx, b)).toMatchObject({ status: 'failed', send_error: '550 mailbox unavailable' });
  });

  it('takes over a send that crashed after claiming the draft, once its lease has run out', async () => {
    await settings({ daily_cap: 100, min_gap_seconds: 0 });
    const a = await approvedDraft();
    // A worker claimed the draft and died before sending.
    await t.app.db
      .updateTable('drafts')
      .set({ status: 'sending', send_lease_until: new Date(now.getTime() + 300_000) })
      .where('id', '=', a)
      .execute();
    await job(a);
    expect(live.sent).toHaveLength(0);
    now = new Date(now.getTime() + 301_000);
    await job(a);
    await job(a);
    expect(live.sent).toHaveLength(1);
    expect((await getDraft(ctx, a)).status).toBe('sent');
  });
});
