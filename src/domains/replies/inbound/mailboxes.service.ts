import type { RequestContext } from '../../../kernel/context.js';
import { newId, randomToken } from '../../../kernel/ids.js';
import { appendEvent } from '../../../kernel/outbox.js';
import { transact } from '../../../kernel/transact.js';
import {
  type InboundMailbox,
  type InboundSettings,
  MAILBOX_COLUMNS,
  toInboundHook,
  toInboundMailbox,
} from './inbound.model.js';
import { AppError } from '../../../kernel/errors.js';
import { type MailboxAddress, checkMailbox, parseMailboxUrl, passwordContext } from './mailbox-url.js';
import { IMAP_POLL_JOB } from './imap-poll.job.js';

export interface SetMailboxInput {
  url?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  tls?: boolean | undefined;
  username?: string | undefined;
  password?: string | undefined;
  folder?: string | undefined;
  read_existing?: boolean | undefined;
}

function mailboxFrom(input: SetMailboxInput): MailboxAddress {
  const fields = ['host', 'port', 'tls', 'username', 'password', 'folder'] as const;
  if (input.url !== undefined) {
    const extra = fields.filter((f) => input[f] !== undefined);
    if (extra.length)
      throw new AppError(
        'invalid_request',
        `Give either url or the fields, not both (also given: ${extra.join(', ')})`,
        {
          param: 'url',
        },
      );
    return parseMailboxUrl(input.url);
  }
  if (input.host === undefined)
    throw new AppError(
      'invalid_request',
      'Give url (imaps://user:password@host/INBOX) or host, username and password',
      {
        param: 'url',
      },
    );
  const tls = input.tls ?? true;
  return checkMailbox({
    host: input.host,
    port: input.port ?? (tls ? 993 : 143),
    tls,
    username: input.username ?? '',
    password: input.password ?? '',
    folder: input.folder ?? 'INBOX',
  });
}

/**
 * Configures the workspace's IMAP mailbox (replacing any), sealing the password with the server key,
 * and starts polling it at once. The read position is kept when the same folder of the same account
 * is set again (a password change), else it starts over.
 */
export async function setInboundMailbox(ctx: RequestContext, input: SetMailboxInput): Promise<InboundMailbox> {
  const address = mailboxFrom(input);
  if (!ctx.secrets.available) await ctx.secrets.seal('', 'probe'); // throws the message naming SWITCHBOARD_SECRET_KEY
  const now = ctx.clock.now();
  const existing = await ctx.db
    .selectFrom('inbound_mailboxes')
    .select(['id', 'host', 'port', 'username', 'folder'])
    .where('workspace_id', '=', ctx.workspace.id)
    .executeTakeFirst();
  const same =
    existing &&
    existing.host === address.host &&
    existing.port === address.port &&
    existing.username === address.username &&
    existing.folder === address.folder;
  const id = same ? existing.id : newId('mbx', now);
  const sealed = await ctx.secrets.seal(address.password, passwordContext(ctx.workspace.id, id));
  const generation = randomToken(10);
  const config = {
    host: address.host,
    port: address.port,
    tls: address.tls,
    username: address.username,
    password_sealed: sealed,
    folder: address.folder,
    read_existing: input.read_existing ?? false,
    poll_generation: generation,
    poll_lease_until: null,
    last_error: null,
    last_error_at: null,
    updated_at: now,
  };
  return transact(ctx.db, async (trx) => {
    if (existing && !same)
      await trx.deleteFrom('inbound_mailboxes').where('workspace_id', '=', ctx.workspace.id).execute();
    const row = same
      ? await trx
          .updateTable('inbound_mailboxes')
          .set(config)
          .where('workspace_id', '=', ctx.workspace.id)
          .where('id', '=', id)
          .returning(MAILBOX_COLUMNS)
          .executeTakeFirstOrThrow()
      : await trx
          .insertInto('inbound_mailboxes')
          .values({ ...config, workspace_id: ctx.workspace.id, id, created_at: now })
          .returning(MAILBOX_COLUMNS)
          .executeTakeFirstOrThrow();
    // A new generation: jobs of the previous configuration find themselves stale and stop.
    await ctx.jobs.enqueue(trx, IMAP_POLL_JOB, { workspace_id: ctx.workspace.id, mailbox_id: id, generation });
    await appendEvent(trx, ctx, 'workspace.settings_updated', { section: 'inbound_mailbox' }, { at: now });
    return toInboundMailbox(row);
  });
}

/** Stops polling and forgets the mailbox and its sealed password. */
export async function removeInboundMailbox(ctx: RequestContext): Promise<{ removed: boolean }> {
  return transact(ctx.db, async (trx) => {
    const gone = await trx
      .deleteFrom('inbound_mailboxes')
      .where('workspace_id', '=', ctx.workspace.id)
      .returning('id')
      .executeTakeFirst();
    if (gone) await appendEvent(trx, ctx, 'workspace.settings_updated', { section: 'inbound_mailbox' });
    return { removed: Boolean(gone) };
  });
}

/** The hook (without its token) and the mailbox (without its password) with its polling state. */
export async function getInboundSettings(ctx: RequestContext): Promise<InboundSettings> {
  const hook = await ctx.db
    .selectFrom('inbound_hook_tokens')
    .select(['prefix', 'created_at', 'last_used_at'])
    .where('workspace_id', '=', ctx.workspace.id)
    .executeTakeFirst();
  const mailbox = await ctx.db
    .selectFrom('inbound_mailboxes')
    .select(MAILBOX_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .executeTakeFirst();
  return {
    hook: hook ? toInboundHook(hook) : null,
    mailbox: mailbox ? toInboundMailbox(mailbox) : null,
    poll_interval_seconds: Math.round(ctx.inbound.pollIntervalMs / 1000),
  };
}
