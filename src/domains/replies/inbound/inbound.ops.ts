import { z } from 'zod';
import { defineOperation } from '../../../operations/define.js';
import { destructive, idempotentWrite, readOnly, write } from '../../../operations/presets.js';
import { InboundHook, InboundMailbox, InboundSettings } from './inbound.model.js';
import { rotateInboundToken as rotate } from './hook-tokens.service.js';
import {
  getInboundSettings as get,
  removeInboundMailbox as remove,
  setInboundMailbox as set,
} from './mailboxes.service.js';

// Administrative and secret-bearing: REST only (mcp: false), scope admin, like the other workspace settings.

const getInboundSettings = defineOperation({
  name: 'get_inbound_settings',
  title: 'Get inbound mail settings',
  toolset: 'admin',
  scope: 'admin',
  mcp: false,
  description:
    "How replies reach the workspace: its raw-MIME hook (the token's first characters, when it was last used) and its " +
    'polled IMAP mailbox (host, user, folder, UIDVALIDITY and last UID read, last poll, last error). Never returns the ' +
    'hook token or the mailbox password.',
  input: z.object({}),
  output: InboundSettings,
  annotations: readOnly,
  http: { method: 'GET', path: '/workspaces/{workspace_id}/inbound' },
  handler: async (ctx) => get(ctx),
});

const rotateInboundToken = defineOperation({
  name: 'rotate_inbound_token',
  title: 'Rotate the inbound hook token',
  toolset: 'admin',
  scope: 'admin',
  mcp: false,
  // The answer holds the token, which is never stored: a replay could not return it.
  idempotency: false,
  description:
    "Create the workspace's inbound hook token, or replace it (the previous one stops working at once). Returns the " +
    'token and the hook address POST /hooks/inbound/<token> once: raw RFC 5322 emails posted there (Postmark, Mailgun, ' +
    'SendGrid inbound parse, Cloudflare Email Workers) are stored as replies.',
  input: z.object({}),
  output: z.object({
    hook: InboundHook,
    token: z.string().describe('The secret token: shown once, store it now'),
    path: z.string().describe('/hooks/inbound/<token>'),
    url: z.string().describe("The hook address under the server's public URL"),
  }),
  annotations: write,
  http: { method: 'POST', path: '/workspaces/{workspace_id}/inbound/token', status: 201 },
  handler: async (ctx) => rotate(ctx),
});

const setInboundMailbox = defineOperation({
  name: 'set_inbound_mailbox',
  title: 'Set the polled IMAP mailbox',
  toolset: 'admin',
  scope: 'admin',
  mcp: false,
  description:
    'Configure the IMAP mailbox whose new mail is read as replies, replacing any: a url ' +
    '(imaps://user:password@host:993/INBOX, percent-encoded; imap:// uses STARTTLS, or plaintext on loopback) or the ' +
    'fields. The password is stored sealed with the server key. Polling starts at once; get_inbound_settings shows ' +
    'its progress and last error. Fails with invalid_request when the server has no key (SWITCHBOARD_SECRET_KEY).',
  input: z.object({
    url: z.string().max(2000).optional().describe('imaps://user:password@host:port/FOLDER; or give the fields below'),
    host: z.string().max(255).optional().describe('IMAP server host (without url)'),
    port: z.number().int().min(1).max(65535).optional().describe('Port; default 993 with tls, else 143'),
    tls: z.boolean().optional().describe('TLS from the start (default true); false uses STARTTLS'),
    username: z.string().max(320).optional().describe('Login name'),
    password: z.string().max(1000).optional().describe('Password; stored sealed, never returned'),
    folder: z.string().max(200).optional().describe('Folder to poll; default INBOX'),
    read_existing: z
      .boolean()
      .optional()
      .describe('Also read the messages already in the folder (default false: only mail arriving from now on)'),
  }),
  output: z.object({ mailbox: InboundMailbox }),
  annotations: idempotentWrite,
  http: { method: 'PUT', path: '/workspaces/{workspace_id}/inbound/mailbox' },
  handler: async (ctx, input) => ({ mailbox: await set(ctx, input) }),
});

const removeInboundMailbox = defineOperation({
  name: 'remove_inbound_mailbox',
  title: 'Remove the polled IMAP mailbox',
  toolset: 'admin',
  scope: 'admin',
  mcp: false,
  description:
    "Stop polling the workspace's IMAP mailbox and forget its stored password. Replies already received stay. Returns " +
    'removed: false when none was configured.',
  input: z.object({}),
  output: z.object({ removed: z.boolean().describe('Whether a mailbox was configured and is now removed') }),
  annotations: { ...destructive, idempotentHint: true },
  http: { method: 'DELETE', path: '/workspaces/{workspace_id}/inbound/mailbox' },
  handler: async (ctx) => remove(ctx),
});

export const inboundOperations = [getInboundSettings, rotateInboundToken, setInboundMailbox, removeInboundMailbox];
