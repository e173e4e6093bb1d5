import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';

export const DOVECOT = '/usr/sbin/dovecot';

export interface Dovecot {
  port: number;
  user: string;
  pass: string;
  /** `imap://user:pass@127.0.0.1:port/INBOX` (plaintext: loopback only). */
  url(options?: { pass?: string; folder?: string }): string;
  /** Appends a raw message to the folder (IMAP APPEND, with an internal date if given); returns its UID. */
  append(raw: string | Buffer, folder?: string, internalDate?: Date): Promise<number>;
  /** Deletes and recreates the folder: the server gives it a new UIDVALIDITY. */
  recreate(folder: string): Promise<void>;
  uidValidity(folder?: string): Promise<bigint>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** uid and gid of a system user, from /etc/passwd. */
function systemUser(name: string): { uid: number; gid: number } | null {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return null;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * A private Dovecot (Debian's `dovecot-imapd`) on a free loopback port: its own config, base_dir,
 * state and Maildir under a temp dir, one passwd-file user, plaintext login (ssl = no). Dovecot
 * refuses mail access as uid 0, so under root the mail processes run as the `dovecot` system user
 * (created by the package); otherwise everything runs as the current user, without privileges.
 */
export async function startDovecot(): Promise<Dovecot> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-dovecot-'));
  const port = await freePort();
  const user = 'replies';
  const pass = 'imap-secret-pw';
  const me = os.userInfo();
  const root = me.uid === 0;
  const mailOwner = root ? (systemUser('dovecot') ?? { uid: 65534, gid: 65534 }) : { uid: me.uid, gid: me.gid };
  const internalUser = root ? 'dovecot' : me.username;
  const loginUser = root ? (systemUser('dovenull') ? 'dovenull' : 'dovecot') : me.username;
  for (const sub of ['run', 'state', 'mail']) mkdirSync(path.join(dir, sub));
  if (root) {
    chmodSync(dir, 0o755);
    chownSync(path.join(dir, 'mail'), mailOwner.uid, mailOwner.gid);
  }
  writeFileSync(
    path.join(dir, 'passwd'),
    `${user}:{PLAIN}${pass}:${mailOwner.uid}:${mailOwner.gid}::${path.join(dir, 'mail', user)}::\n`,
  );
  const conf = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${internalUser}
default_login_user = ${loginUser}
first_valid_uid = ${mailOwner.uid}
last_valid_uid = ${mailOwner.uid}
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
  ${root ? '' : 'chroot ='}
}
service anvil {
  ${root ? '' : 'chroot ='}
}
service stats {
  inet_listener http {
    port = 0
  }
}
`;
  const confPath = path.join(dir, 'dovecot.conf');
  writeFileSync(confPath, conf);
  if (root) execFileSync('chmod', ['0644', confPath, path.join(dir, 'passwd')]);

  const child: ChildProcess = spawn(DOVECOT, ['-F', '-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const connect = async (password = pass) => {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user, pass: password },
      logger: false,
      disableAutoIdle: true,
    });
    await client.connect();
    return client;
  };
  // Up when a login succeeds: the listener alone may come before the auth process is ready.
  let lastError: unknown;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    try {
      const c = await connect();
      await c.logout();
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (child.exitCode !== null || lastError) {
    child.kill('SIGKILL');
    let log = '';
    try {
      log = readFileSync(path.join(dir, 'dovecot.log'), 'utf8');
    } catch {}
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`dovecot did not start: ${String(lastError)}\n${output}\n${log}`);
  }

  const withClient = async <T>(fn: (c: ImapFlow) => Promise<T>): Promise<T> => {
    const c = await connect();
    try {
      return await fn(c);
    } finally {
      await c.logout().catch(() => {});
    }
  };

  return {
    port,
    user,
    pass,
    url: (o = {}) =>
      `imap://${user}:${encodeURIComponent(o.pass ?? pass)}@127.0.0.1:${port}/${encodeURIComponent(o.folder ?? 'INBOX')}`,
    append: (raw, folder = 'INBOX', internalDate) =>
      withClient(async (c) => {
        const res = await c.append(folder, raw, [], internalDate);
        const uid = res === false ? undefined : res.uid;
        if (!uid) throw new Error('APPEND returned no UID');
        return uid;
      }),
    recreate: (folder) =>
      withClient(async (c) => {
        await c.mailboxDelete(folder).catch(() => {});
        await c.mailboxCreate(folder);
      }),
    uidValidity: (folder = 'INBOX') =>
      withClient(async (c) => {
        const status = await c.status(folder, { uidValidity: true });
        if (!status) throw new Error(`no STATUS for ${folder}`);
        return BigInt(status.uidValidity ?? 0);
      }),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
