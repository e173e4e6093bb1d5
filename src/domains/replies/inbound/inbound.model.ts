import { z } from 'zod';
import type { InboundHookTokenRow, InboundMailboxRow } from '../../../adapters/db/schema.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

export const InboundHook = z.object({
  token_prefix: z.string().describe('The first characters of the token, to tell which one is live'),
  created_at: z.string().describe('When the token was made (ISO 8601)'),
  last_used_at: z.string().nullable().describe('When an email last came in through it, or null'),
});
export type InboundHook = z.infer<typeof InboundHook>;

export const InboundMailbox = z.object({
  id: z.string().describe('Mailbox id'),
  host: z.string().describe('IMAP server host'),
  port: z.number().int().describe('IMAP server port'),
  tls: z.boolean().describe('true: TLS from the start (imaps); false: imap with STARTTLS (plaintext only on loopback)'),
  username: z.string().describe('Login name (the password is never returned)'),
  folder: z.string().describe('The folder polled, e.g. INBOX'),
  read_existing: z.boolean().describe('Whether messages already there when configured are read too'),
  uid_validity: z.string().nullable().describe("The folder's UIDVALIDITY when last polled; null before the first poll"),
  last_uid: z.string().describe('The highest UID read so far; a change of UIDVALIDITY restarts from 0'),
  last_poll_at: z.string().nullable().describe('When the last poll started (ISO 8601)'),
  last_success_at: z.string().nullable().describe('When a poll last completed without error'),
  last_error: z.string().nullable().describe('Why the last poll failed, or null when it succeeded'),
  last_error_at: z.string().nullable().describe('When the last failure happened'),
  received_count: z.number().int().describe('Emails received from this mailbox since it was configured'),
  created_at: z.string().describe('When the mailbox was first configured'),
  updated_at: z.string().describe('When its configuration or state last changed'),
});
export type InboundMailbox = z.infer<typeof InboundMailbox>;

export const InboundSettings = z.object({
  hook: InboundHook.nullable().describe('The raw-MIME hook, or null until rotate_inbound_token makes one'),
  mailbox: InboundMailbox.nullable().describe('The polled IMAP mailbox, or null when none is configured'),
  poll_interval_seconds: z.number().int().describe('How often the mailbox is polled (server setting)'),
});
export type InboundSettings = z.infer<typeof InboundSettings>;

export const HOOK_PATH_PREFIX = '/hooks/inbound/';

export const toInboundHook = (
  row: Pick<InboundHookTokenRow, 'prefix' | 'created_at' | 'last_used_at'>,
): InboundHook => ({
  token_prefix: row.prefix,
  created_at: row.created_at.toISOString(),
  last_used_at: iso(row.last_used_at),
});

export const MAILBOX_COLUMNS = [
  'id',
  'host',
  'port',
  'tls',
  'username',
  'folder',
  'read_existing',
  'uid_validity',
  'last_uid',
  'last_poll_at',
  'last_success_at',
  'last_error',
  'last_error_at',
  'received_count',
  'created_at',
  'updated_at',
] as const;

export const toInboundMailbox = (row: Pick<InboundMailboxRow, (typeof MAILBOX_COLUMNS)[number]>): InboundMailbox => ({
  id: row.id,
  host: row.host,
  port: row.port,
  tls: row.tls,
  username: row.username,
  folder: row.folder,
  read_existing: row.read_existing,
  uid_validity: row.uid_validity === null ? null : String(row.uid_validity),
  last_uid: String(row.last_uid),
  last_poll_at: iso(row.last_poll_at),
  last_success_at: iso(row.last_success_at),
  last_error: row.last_error,
  last_error_at: iso(row.last_error_at),
  received_count: row.received_count,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});
