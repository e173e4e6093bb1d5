import { AppError } from '../../../kernel/errors.js';

/** Where a mailbox is and how to log in; the password only ever leaves here sealed. */
export interface MailboxAddress {
  host: string;
  port: number;
  /** true: TLS from the first byte (imaps, port 993); false: plain IMAP (port 143), upgraded with STARTTLS off loopback. */
  tls: boolean;
  username: string;
  password: string;
  folder: string;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;
export const isLoopbackHost = (host: string) => LOOPBACK.test(host);

const bad = (message: string, param = 'url') => new AppError('invalid_request', message, { param });

/**
 * `imaps://user:pass@host[:port]/FOLDER` (or `imap://` for a plaintext server on loopback; elsewhere
 * `imap://` requires STARTTLS). User, password and folder are percent-decoded; the folder defaults
 * to INBOX. Error messages never repeat the URL, which holds the password.
 */
export function parseMailboxUrl(text: string): MailboxAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('url is not a URL: expected imaps://user:password@host:993/INBOX');
  }
  if (url.protocol !== 'imaps:' && url.protocol !== 'imap:')
    throw bad('url must start with imaps:// (TLS) or imap:// (STARTTLS, or plaintext on loopback)');
  if (!url.hostname) throw bad('url has no host');
  if (!url.username || !url.password)
    throw bad('url must carry the login as user:password@ (percent-encode @, : and / inside them)');
  if (url.search || url.hash) throw bad('url takes no query or fragment');
  let folder: string;
  try {
    folder = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX';
    return checkMailbox({
      host: url.hostname,
      port: url.port ? Number(url.port) : url.protocol === 'imaps:' ? 993 : 143,
      tls: url.protocol === 'imaps:',
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      folder,
    });
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw bad('url has a malformed percent-encoding');
  }
}

/** Checks a mailbox given field by field (or from a URL). */
export function checkMailbox(m: MailboxAddress): MailboxAddress {
  if (!m.host || /[\s/@]/.test(m.host)) throw bad('host is not a host name', 'host');
  if (!Number.isInteger(m.port) || m.port < 1 || m.port > 65535) throw bad('port must be 1 to 65535', 'port');
  if (!m.username) throw bad('username is required', 'username');
  if (!m.password) throw bad('password is required', 'password');
  // A folder name travels inside an IMAP quoted string: line breaks would end the command.
  if (!m.folder || m.folder.length > 200 || /[\r\n\0]/.test(m.folder))
    throw bad('folder is not a folder name', 'folder');
  return m;
}

/** What a mailbox's sealed password is bound to: it opens only in this row. */
export const passwordContext = (workspaceId: string, mailboxId: string) =>
  `inbound_mailboxes:${workspaceId}:${mailboxId}`;
