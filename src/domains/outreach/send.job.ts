import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../adapters/db/schema.js';
import { transact } from '../../kernel/transact.js';
import type { JobContext, JobDefinition, JobPayloads } from '../../kernel/ports.js';
import type { OutgoingEmail } from '../../kernel/ports.js';
import { type Services, type Workspace, systemActor } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { type EventMap, appendEvent } from '../../kernel/outbox.js';
import { fixedClock } from '../../kernel/clock.js';
import { type OutreachSettings, outreachSettings } from './settings.model.js';
import { inWindow, nextWindowStart, sendingDay, startOfDay } from './send-window.js';
import { recordOutboundEmail } from '../conversations/index.js';
import { isSuppressed } from '../suppression/index.js';
import { toWorkspace } from '../tenancy/index.js';
import { renderEmail } from './email-body.js';

declare module '../../kernel/ports.js' {
  interface JobPayloads {
    'outreach.send': { workspace_id: string; draft_id: string };
  }
}

const SEND_JOB = systemActor('job:outreach.send');

type Gate = { ok: true } | { ok: false; retryAt: Date; reason: string };

/**
 * Whether the workspace may send now: not paused, inside its window, under its daily cap, past the
 * minimum gap. A draft another worker has claimed and is still sending counts as sent at its claim,
 * so two workers (or two server nodes) cannot both pass the cap or the gap; the caller holds the
 * workspace's send lock.
 */
async function sendingGate(
  db: Kysely<Database>,
  workspace: Workspace,
  settings: OutreachSettings,
  now: Date,
): Promise<Gate> {
  if (settings.paused)
    return {
      ok: false,
      retryAt: new Date(now.getTime() + 3600_000),
      reason: `sending paused: ${settings.paused.reason}`,
    };
  if (!inWindow(now, workspace.timezone, settings.sending_window)) {
    return {
      ok: false,
      retryAt:
        nextWindowStart(now, workspace.timezone, settings.sending_window) ?? new Date(now.getTime() + 86_400_000),
      reason: 'outside the sending window',
    };
  }
  const day = sendingDay(now, workspace.timezone, settings.sending_window);
  const inFlight = sql<boolean>`status = 'sending' and send_lease_until >= ${now}`;
  const { today, last, claimed } = await db
    .selectFrom('drafts')
    .select([
      sql<string>`count(*) filter (where sent_at >= ${day.start} or ${inFlight})`.as('today'),
      (eb) => eb.fn.max('sent_at').as('last'),
      sql<Date | null>`max(updated_at) filter (where ${inFlight})`.as('claimed'),
    ])
    .where('workspace_id', '=', workspace.id)
    .executeTakeFirstOrThrow();
  if (Number(today) >= settings.daily_cap) {
    return {
      ok: false,
      retryAt: day.next ?? new Date(now.getTime() + 86_400_000),
      reason: `daily cap of ${settings.daily_cap} reached`,
    };
  }
  const latest = Math.max(last ? new Date(last).getTime() : 0, claimed ? new Date(claimed).getTime() : 0);
  if (latest && now.getTime() - latest < settings.min_gap_seconds * 1000) {
    return {
      ok: false,
      retryAt: new Date(latest + settings.min_gap_seconds * 1000),
      reason: 'minimum gap between sends',
    };
  }
  return { ok: true };
}

/**
 * The `outreach.send` job. Every gate is checked again here (suppression, pause, window, cap, gap),
 * because approval may be long before sending. A lease on the draft keeps two workers from sending
 * it at once (for the job timeout, after which a crashed send is taken over); the provider idempotency key is the draft id, so a retry after a crash is deduplicated
 * where the provider supports it (Resend), and at worst sent again (SMTP) — never lost.
 */
export async function sendApprovedDraft(
  services: Services,
  log: Logger,
  data: JobPayloads['outreach.send'],
  job: JobContext,
): Promise<void> {
  const { db, clock } = services;
  const wsRow = await db
    .selectFrom('workspaces')
    .select(['id', 'organization_id', 'name', 'slug', 'is_test', 'timezone', 'settings', 'created_at', 'updated_at'])
    .where('id', '=', data.workspace_id)
    .executeTakeFirst();
  if (!wsRow) return;
  const workspace = toWorkspace(wsRow);
  const settings = outreachSettings(workspace);
  const now = clock.now();

  const draft = await db
    .selectFrom('drafts')
    .select(['id', 'prospect_id', 'to_email', 'subject', 'body', 'status', 'token', 'send_lease_until'])
    .where('workspace_id', '=', workspace.id)
    .where('id', '=', data.draft_id)
    .executeTakeFirst();
  if (
    !draft ||
    !(
      draft.status === 'approved' ||
      (draft.status === 'sending' && (!draft.send_lease_until || draft.send_lease_until < now))
    )
  )
    return;

  // An out-of-office reply said when they are back: the draft waits until that day starts.
  const snoozedUntil = await snoozeEnd(db, workspace, draft.prospect_id, now);
  if (snoozedUntil) {
    await services.jobs.enqueue(db, 'outreach.send', data, {
      startAfter: snoozedUntil,
      singletonKey: `send:${draft.id}`,
    });
    log.info({ draftId: draft.id, retryAt: snoozedUntil }, 'send deferred: prospect snoozed');
    return;
  }
  if (await isSuppressed(db, workspace.id, draft.to_email)) {
    await finish(db, workspace, draft, 'failed', now, { send_error: 'suppressed at send time' }, 'email.failed', {
      reason: 'suppressed',
    });
    return;
  }
  // Checking the gates and claiming the draft under one per-workspace lock makes them atomic across workers and nodes.
  const outcome = await transact(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`switchboard.send:${workspace.id}`}))`.execute(trx);
    const gate = await sendingGate(trx, workspace, settings, now);
    if (!gate.ok) {
      await services.jobs.enqueue(trx, 'outreach.send', data, {
        startAfter: gate.retryAt,
        singletonKey: `send:${draft.id}`,
      });
      return gate;
    }
    const claimed = await trx
      .updateTable('drafts')
      .set((eb) => ({
        status: 'sending',
        send_lease_until: new Date(now.getTime() + services.jobs.timeoutMs),
        send_attempts: eb('send_attempts', '+', 1),
        updated_at: now,
      }))
      .where('workspace_id', '=', workspace.id)
      .where('id', '=', draft.id)
      .where((eb) =>
        eb.or([
          eb('status', '=', 'approved'),
          eb.and([
            eb('status', '=', 'sending'),
            eb.or([eb('send_lease_until', 'is', null), eb('send_lease_until', '<', now)]),
          ]),
        ]),
      )
      .returning('id')
      .executeTakeFirst();
    return claimed ? gate : undefined;
  });
  if (!outcome) return;
  if (!outcome.ok) {
    log.info({ draftId: draft.id, reason: outcome.reason, retryAt: outcome.retryAt }, 'send deferred');
    return;
  }

  const sender = workspace.is_test ? services.mail.sink : services.mail.live;
  try {
    if (!sender)
      throw new AppError('upstream_error', 'No mail sender is configured: set SWITCHBOARD_SMTP_URL or RESEND_API_KEY', {
        permanent: true,
      });
    if (!settings.sender)
      throw new AppError('invalid_request', 'The workspace has no sender configured', { permanent: true });
    const email: OutgoingEmail = renderEmail(services.publicUrl, settings.sender, draft);
    const sent = await sender.send(email);
    const sentAt = clock.now();
    await finish(
      db,
      workspace,
      draft,
      'sent',
      sentAt,
      { provider: sent.provider, provider_message_id: sent.providerMessageId, sent_at: sentAt, send_error: null },
      'email.sent',
      { provider: sent.provider },
      // The sent email opens (or continues) the prospect's email conversation; its Message-ID is what replies thread on.
      (trx) =>
        recordOutboundEmail(trx, workspace.id, {
          prospectId: draft.prospect_id,
          from: settings.sender!.email,
          to: draft.to_email,
          subject: draft.subject,
          body: draft.body,
          messageId: sent.messageId ?? null,
          provider: sent.provider,
          providerMessageId: sent.providerMessageId,
          draftId: draft.id,
          sentAt,
        }),
    );
  } catch (err) {
    const permanent = err instanceof AppError && (err.details?.permanent === true || err.code !== 'upstream_error');
    const reason = err instanceof AppError ? err.message : 'internal error';
    if (permanent || job.lastAttempt) {
      await finish(db, workspace, draft, 'failed', clock.now(), { send_error: reason }, 'email.failed', { reason });
      return;
    }
    // Give the draft back so the retry can claim it at once.
    await db
      .updateTable('drafts')
      .set({ status: 'approved', send_lease_until: null, send_error: reason })
      .where('workspace_id', '=', workspace.id)
      .where('id', '=', draft.id)
      .execute();
    throw err;
  }
}

async function finish(
  db: Kysely<Database>,
  workspace: Workspace,
  draft: { id: string; prospect_id: string },
  status: 'sent' | 'failed',
  at: Date,
  fields: Record<string, unknown>,
  event: 'email.sent' | 'email.failed',
  eventData: { provider: string } | { reason: string },
  also?: (trx: Kysely<Database>) => Promise<void>,
): Promise<void> {
  await transact(db, async (trx) => {
    await also?.(trx);
    await trx
      .updateTable('drafts')
      .set({ ...fields, status, send_lease_until: null, updated_at: at })
      .where('workspace_id', '=', workspace.id)
      .where('id', '=', draft.id)
      .execute();
    await appendEvent(
      trx,
      { workspace, actor: SEND_JOB, clock: fixedClock(at) },
      event,
      { draft_id: draft.id, ...eventData } as EventMap[typeof event],
      { prospectId: draft.prospect_id },
    );
  });
}

/** When the prospect's snooze ends (the start of that day in the workspace's zone), if it is still ahead. */
async function snoozeEnd(
  db: Kysely<Database>,
  workspace: Workspace,
  prospectId: string,
  now: Date,
): Promise<Date | null> {
  const row = await db
    .selectFrom('prospects')
    .select('snoozed_until')
    .where('workspace_id', '=', workspace.id)
    .where('id', '=', prospectId)
    .executeTakeFirst();
  if (!row?.snoozed_until) return null;
  const end = startOfDay(row.snoozed_until, workspace.timezone);
  return end > now ? end : null;
}

export const sendJob: JobDefinition<'outreach.send'> = { name: 'outreach.send', run: sendApprovedDraft };
