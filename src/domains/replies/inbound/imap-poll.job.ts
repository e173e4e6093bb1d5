import type { ImapFlow } from 'imapflow';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { InboundMailboxRow } from '../../../adapters/db/schema.js';
import { type RequestContext, type Services, type Workspace, systemActor } from '../../../kernel/context.js';
import { AppError } from '../../../kernel/errors.js';
import { randomToken } from '../../../kernel/ids.js';
import type { JobDefinition, JobPayloads } from '../../../kernel/ports.js';
import { transact } from '../../../kernel/transact.js';
import { toWorkspace } from '../../tenancy/index.js';
import type { InboundEmail, ReplyReceiver } from './inbound-email.js';
import { isLoopbackHost, passwordContext } from './mailbox-url.js';
import { MAX_RAW_EMAIL_BYTES, parseRawEmail } from './mime.js';

export const IMAP_POLL_JOB = 'replies.imap_poll' as const;

declare module '../../../kernel/ports.js' {
  interface JobPayloads {
    /** `generation` names the poll chain the job belongs to: a job of an older chain stops at once. */
    'replies.imap_poll': { workspace_id: string; mailbox_id: string; generation: string };
  }
}

const IMAP = systemActor('imap');
// Messages fetched per batch: one poll reads batches until the folder is caught up or its time is half spent.
const BATCH = 50;

export type PollOutcome =
  | { status: 'stale' | 'busy' }
  | { status: 'polled'; received: number; skipped: number; uidValidity: string; lastUid: string }
  | { status: 'failed'; error: string };

type Claimed = { workspace: Workspace; mailbox: InboundMailboxRow; generation: string; leaseUntil: Date };

/**
 * Claims the mailbox for one poll, in one transaction: a job of another generation is stale and
 * stops; a mailbox whose lease is held (a poll still running, or one that crashed) is tried again
 * when the lease ends; otherwise the lease is taken and the next poll of a new generation is
 * enqueued, so the chain continues whatever happens to this one.
 */
async function claim(services: Services, data: JobPayloads['replies.imap_poll']): Promise<Claimed | 'stale' | 'busy'> {
  const now = services.clock.now();
  return transact(services.db, async (trx) => {
    const mailbox = await trx
      .selectFrom('inbound_mailboxes')
      .selectAll()
      .where('workspace_id', '=', data.workspace_id)
      .where('id', '=', data.mailbox_id)
      .forUpdate()
      .executeTakeFirst();
    if (!mailbox || mailbox.poll_generation !== data.generation) return 'stale';
    if (mailbox.poll_lease_until && mailbox.poll_lease_until > now) {
      // The poll running now (or crashed) enqueued this very job: try again at the next interval, or when its lease ends.
      const next = Math.min(mailbox.poll_lease_until.getTime(), now.getTime() + services.inbound.pollIntervalMs);
      await services.jobs.enqueue(trx, IMAP_POLL_JOB, data, { startAfter: new Date(next) });
      return 'busy';
    }
    const ws = await trx
      .selectFrom('workspaces')
      .select(['id', 'organization_id', 'name', 'slug', 'is_test', 'timezone', 'settings', 'created_at', 'updated_at'])
      .where('id', '=', data.workspace_id)
      .executeTakeFirstOrThrow();
    const generation = randomToken(10);
    const leaseUntil = new Date(now.getTime() + services.jobs.timeoutMs);
    await trx
      .updateTable('inbound_mailboxes')
      .set({ poll_generation: generation, poll_lease_until: leaseUntil, last_poll_at: now })
      .where('workspace_id', '=', data.workspace_id)
      .where('id', '=', data.mailbox_id)
      .execute();
    await services.jobs.enqueue(
      trx,
      IMAP_POLL_JOB,
      { ...data, generation },
      { startAfter: new Date(now.getTime() + services.inbound.pollIntervalMs), singletonKey: `imap:${mailbox.id}` },
    );
    return { workspace: toWorkspace(ws), mailbox, generation, leaseUntil };
  });
}

/** A mailbox's state is written only by the poll that holds it (same generation): a reconfigured mailbox is left alone. */
const ownRow = (services: Services, c: Claimed) =>
  services.db
    .updateTable('inbound_mailboxes')
    .where('workspace_id', '=', c.workspace.id)
    .where('id', '=', c.mailbox.id)
    .where('poll_generation', '=', c.generation);

/** A failure as stored in last_error and logged: what went wrong and where, never the login. */
export function describeImapError(err: unknown, mailbox: Pick<InboundMailboxRow, 'host' | 'port' | 'folder'>): string {
  if (err instanceof AppError) return err.message;
  const e = err as { authenticationFailed?: boolean; code?: string; responseText?: string; message?: string };
  const where = `${mailbox.host}:${mailbox.port}`;
  if (e.authenticationFailed) return `login refused by ${where}${e.responseText ? `: ${e.responseText}` : ''}`;
  if (e.code === 'ECONNREFUSED') return `connection refused by ${where}`;
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return `host ${mailbox.host} not found`;
  if (e.code && /TIMEOUT/i.test(e.code)) return `no answer from ${where} in time (${e.code})`;
  if (e.code === 'NotFound' || /doesn't exist|not found/i.test(e.responseText ?? ''))
    return `folder "${mailbox.folder}" not found on ${where}`;
  const detail = e.responseText || e.code || e.message || 'unknown error';
  return `IMAP error with ${where}: ${String(detail).slice(0, 300)}`;
}

async function imapClient(mailbox: InboundMailboxRow, password: string): Promise<ImapFlow> {
  // Loaded on first use, like the MIME parser: a process without mailboxes never needs it.
  const { ImapFlow } = await import('imapflow');
  return new ImapFlow({
    host: mailbox.host,
    port: mailbox.port,
    secure: mailbox.tls,
    // Off loopback, credentials never cross the wire in clear: imap:// then requires STARTTLS.
    ...(mailbox.tls ? {} : { doSTARTTLS: isLoopbackHost(mailbox.host) ? undefined : true }),
    auth: { user: mailbox.username, pass: password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: 30_000,
    greetingTimeout: 15_000,
    socketTimeout: 120_000,
  });
}

/**
 * One poll of a mailbox: the folder is opened read-only (nothing is flagged or moved), messages with
 * a UID above `last_uid` are fetched one at a time, each handed to `receive` and only then recorded
 * as read. A crash between the two receives the message again, which `receive` deduplicates on its
 * Message-ID. A new UIDVALIDITY means the server renumbered the folder: reading restarts from UID 1.
 * No database transaction is open during IMAP I/O.
 */
export async function pollMailbox(
  services: Services,
  log: Logger,
  data: JobPayloads['replies.imap_poll'],
  receive: ReplyReceiver,
): Promise<PollOutcome> {
  const claimed = await claim(services, data);
  if (claimed === 'stale' || claimed === 'busy') return { status: claimed };
  const { mailbox, workspace } = claimed;
  const mlog = log.child({ workspaceId: workspace.id, mailboxId: mailbox.id });
  let client: ImapFlow | undefined;
  let received = 0;
  let skipped = 0;
  try {
    const password = await services.secrets.open(
      mailbox.password_sealed,
      passwordContext(mailbox.workspace_id, mailbox.id),
    );
    client = await imapClient(mailbox, password);
    client.on('error', (err) => mlog.debug({ error: describeImapError(err, mailbox) }, 'IMAP connection error'));
    await client.connect();
    const opened = await client.mailboxOpen(mailbox.folder, { readOnly: true });
    const uidValidity = opened.uidValidity.toString();
    let lastUid = Number(mailbox.last_uid);
    // Only mail that arrived after the mailbox was configured, unless asked to read what is there.
    // IMAP internal dates have whole seconds: the cutoff is the second the mailbox was configured in.
    const cutoff =
      mailbox.uid_validity === null && !mailbox.read_existing
        ? new Date(Math.floor(mailbox.created_at.getTime() / 1000) * 1000)
        : null;
    let since = cutoff;
    if (mailbox.uid_validity === null) {
      lastUid = 0;
    } else if (mailbox.uid_validity !== uidValidity) {
      mlog.warn(
        { was: mailbox.uid_validity, now: uidValidity },
        'UIDVALIDITY changed: reading the folder again from the start',
      );
      lastUid = 0;
    }
    if (lastUid === 0) await ownRow(services, claimed).set({ uid_validity: uidValidity, last_uid: 0 }).execute();

    const deadline = services.clock.now().getTime() + services.jobs.timeoutMs / 2;
    for (;;) {
      const found = await client.search(
        since ? { since: new Date(since.getTime() - 86_400_000) } : { uid: `${lastUid + 1}:*` },
        { uid: true },
      );
      // `n:*` always matches the highest UID, even below n: hence the filter.
      const uids = (found || [])
        .filter((u) => u > lastUid)
        .sort((a, b) => a - b)
        .slice(0, BATCH);
      if (!uids.length) break;
      for (const uid of uids) {
        const outcome = await readOne(client, uid, cutoff);
        let stored = false;
        if (outcome.email) {
          const ctx: RequestContext = {
            ...services,
            workspace,
            log: mlog,
            requestId: `imap:${mailbox.id}:${uid}`,
            actor: IMAP,
          };
          const email = { ...outcome.email, receivedAt: outcome.email.receivedAt ?? outcome.internalDate };
          // A message the replies domain refuses would refuse again: it is passed, not retried forever.
          stored = await receive(ctx, email, 'imap').then(
            () => true,
            (err: unknown) => {
              if (err instanceof AppError && err.code === 'invalid_request') {
                mlog.warn({ uid, reason: err.message }, 'IMAP message refused');
                return false;
              }
              throw err;
            },
          );
        } else if (outcome.reason) mlog.warn({ uid, reason: outcome.reason }, 'IMAP message skipped');
        if (stored) received++;
        else skipped++;
        lastUid = uid;
        const saved = await ownRow(services, claimed)
          .set((eb) => ({
            last_uid: uid,
            uid_validity: uidValidity,
            received_count: eb('received_count', '+', stored ? 1 : 0),
          }))
          .executeTakeFirst();
        if (!saved.numUpdatedRows) return { status: 'stale' };
      }
      if (services.clock.now().getTime() > deadline) break;
      since = null;
    }
    await ownRow(services, claimed)
      .set({
        poll_lease_until: null,
        last_success_at: services.clock.now(),
        last_error: null,
        last_error_at: null,
        updated_at: services.clock.now(),
      })
      .execute();
    if (received || skipped) mlog.info({ received, skipped }, 'IMAP mailbox polled');
    return { status: 'polled', received, skipped, uidValidity, lastUid: String(lastUid) };
  } catch (err) {
    const error = describeImapError(err, mailbox);
    mlog.warn({ error, received }, 'IMAP poll failed');
    const now = services.clock.now();
    await ownRow(services, claimed)
      .set({ poll_lease_until: null, last_error: error, last_error_at: now, updated_at: now })
      .execute()
      .catch((e: unknown) => mlog.error({ err: e }, 'could not record the IMAP poll failure'));
    return { status: 'failed', error };
  } finally {
    if (client?.usable) await client.logout().catch(() => client?.close());
    else client?.close();
  }
}

type ReadOutcome =
  | { email: InboundEmail; internalDate: Date | null; reason?: undefined }
  | { email?: undefined; reason: string | null };

/** Fetches one message; a message too large, not a message, or older than `since` is skipped (and passed). */
async function readOne(client: ImapFlow, uid: number, since: Date | null): Promise<ReadOutcome> {
  const meta = await client.fetchOne(String(uid), { size: true, internalDate: true }, { uid: true });
  if (!meta) return { reason: 'gone before it was read' };
  const internalDate = meta.internalDate ? new Date(meta.internalDate) : null;
  if (since && internalDate && internalDate < since) return { reason: null };
  if ((meta.size ?? 0) > MAX_RAW_EMAIL_BYTES) return { reason: `larger than ${MAX_RAW_EMAIL_BYTES} bytes` };
  const full = await client.fetchOne(String(uid), { source: true }, { uid: true });
  const source = full === false ? undefined : full.source;
  if (!source) return { reason: 'gone before it was read' };
  try {
    return { email: await parseRawEmail(source), internalDate };
  } catch (err) {
    if (err instanceof AppError && (err.code === 'invalid_request' || err.code === 'payload_too_large'))
      return { reason: err.message };
    throw err;
  }
}

/**
 * Restarts the poll chain of every mailbox that has not been polled for three intervals and is not
 * held by a poll: a chain whose job ran out of retries (a long database outage) comes back here. Run at
 * start and then every interval; one statement claims them, so several server nodes revive a mailbox once.
 */
export async function reviveStalledPolls(services: Services): Promise<number> {
  const now = services.clock.now();
  const stalledBefore = new Date(now.getTime() - 3 * services.inbound.pollIntervalMs);
  return transact(services.db, async (trx) => {
    const revived = await trx
      .updateTable('inbound_mailboxes')
      .set({ poll_generation: sql<string>`md5(random()::text || id)` })
      .where((eb) =>
        eb.and([
          eb.or([eb('poll_lease_until', 'is', null), eb('poll_lease_until', '<', now)]),
          eb.or([
            eb('last_poll_at', '<', stalledBefore),
            eb.and([eb('last_poll_at', 'is', null), eb('created_at', '<', stalledBefore)]),
          ]),
        ]),
      )
      .returning(['workspace_id', 'id', 'poll_generation'])
      .execute();
    for (const m of revived)
      await services.jobs.enqueue(trx, IMAP_POLL_JOB, {
        workspace_id: m.workspace_id,
        mailbox_id: m.id,
        generation: m.poll_generation,
      });
    return revived.length;
  });
}

/** The job, bound to the replies domain's receiver. */
export const imapPollJob = (receive: ReplyReceiver): JobDefinition<typeof IMAP_POLL_JOB> => ({
  name: IMAP_POLL_JOB,
  run: async (services, log, data) => {
    await pollMailbox(services, log, data, receive);
  },
});
