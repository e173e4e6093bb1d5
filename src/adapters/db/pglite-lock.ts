import { randomBytes } from 'node:crypto';
import {
  type Stats,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A lock not refreshed for this long, held on another host, is presumed abandoned (SWITCHBOARD_LOCK_STALE_MS). */
export const DEFAULT_LOCK_STALE_MS = 20_000;
const LOCK_FILE = 'switchboard.lock';
// The takeover of a dead holder's lock is done under this directory, so two starters cannot both do it.
const TAKEOVER_SUFFIX = '.takeover';
const TAKEOVER_STALE_MS = 10_000;
/** Tokens of the locks this process holds: a lock naming our own pid is ours only if its token is here. */
const heldHere = new Set<string>();

/** Who holds the lock: enough for a process on the same host to prove the holder is gone. */
interface Owner {
  pid: number;
  hostname: string;
  /** The holder's PID namespace (Linux): a pid means nothing across namespaces (containers). */
  pidNamespace?: string | undefined;
  /** The holder's start time in clock ticks since boot (Linux), so a recycled pid is not taken for the holder. */
  startTicks?: string | undefined;
  token: string;
}

const remedy =
  'Stop that process, point this one at a PostgreSQL server with DATABASE_URL, or connect your MCP client to the ' +
  'running server over HTTP (http://HOST:PORT/mcp) instead of starting a second one.';

export class DatabaseLockedError extends Error {
  constructor(dataDir: string, holder: string, extra = '') {
    super(
      `The embedded database in ${dataDir} is already open in another Switchboard process (${holder}), and PGlite allows only one. ${remedy}${extra}`,
    );
    this.name = 'DatabaseLockedError';
  }
}

export class DatabaseLockLostError extends Error {
  constructor(dataDir: string) {
    super(
      `This process lost its lock on the embedded database in ${dataDir}: the lock file was removed or replaced (by another ` +
        'process that took it over, or by hand). It stops at once so that two processes never write the same data. ' +
        'Restart it once no other Switchboard process uses that directory, or use DATABASE_URL.',
    );
    this.name = 'DatabaseLockLostError';
  }
}

const readProc = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};
const pidNamespace = (pid: number | 'self') => {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
};
// Field 22 of /proc/PID/stat; the fields are counted after the command name, which may hold spaces.
const startTicks = (pid: number | 'self') => readProc(`/proc/${pid}/stat`)?.split(') ')[1]?.split(' ')[19];

function describe(owner: Owner | undefined): string {
  if (!owner) return 'its lock file is unreadable';
  return owner.hostname === hostname() ? `pid ${owner.pid} on this host` : `pid ${owner.pid} on host ${owner.hostname}`;
}

/** Whether the holder is provably gone; a holder that cannot be checked from here is gone only once its lock is stale. */
function holderIsDead(owner: Owner | undefined, stat: Stats, staleMs: number): { dead: boolean; checkable: boolean } {
  const stale = Date.now() - stat.mtimeMs > staleMs;
  const sameHost = owner && owner.hostname === hostname() && owner.pidNamespace === pidNamespace('self');
  if (!owner || !sameHost) return { dead: stale, checkable: false };
  // Our own pid with a token we do not hold: a previous incarnation (a container restarted with the same pid).
  if (owner.pid === process.pid) return { dead: !heldHere.has(owner.token), checkable: true };
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: the pid exists under another user, so it is alive.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return { dead: true, checkable: true };
  }
  const now = startTicks(owner.pid);
  return { dead: Boolean(owner.startTicks && now && now !== owner.startTicks), checkable: true };
}

function readOwner(file: string): Owner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Owner;
    return Number.isInteger(owner.pid) && typeof owner.hostname === 'string' && typeof owner.token === 'string'
      ? owner
      : undefined;
  } catch {
    return undefined;
  }
}

const statOrUndefined = (file: string) => {
  try {
    return lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
};

/** Creates the lock file with its content complete the moment it appears (link fails if it exists). */
function tryCreate(file: string, owner: Owner): boolean {
  const temp = `${file}.${owner.token}`;
  writeFileSync(temp, JSON.stringify(owner));
  try {
    linkSync(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(temp);
  }
}

// Inode numbers are reused at once on most file systems: the token and mtime tell a new lock from the judged one.
const fingerprint = (file: string, stat: Stats) =>
  `${stat.ino}:${stat.mtimeMs}:${stat.isDirectory() ? 'dir' : readOwner(file)?.token}`;

/** Removes `file` if it is still the lock judged dead, under the takeover directory. */
async function takeOver(file: string, judged: string): Promise<void> {
  const guard = file + TAKEOVER_SUFFIX;
  for (;;) {
    try {
      mkdirSync(guard);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A starter that died inside the few milliseconds of a takeover leaves the directory behind.
      const since = statOrUndefined(guard);
      if (since && Date.now() - since.mtimeMs > TAKEOVER_STALE_MS) rmSync(guard, { recursive: true, force: true });
      else await sleep(25);
    }
  }
  try {
    const now = statOrUndefined(file);
    // A directory is the lock of an older Switchboard (proper-lockfile); its staleness was judged by mtime.
    if (now && fingerprint(file, now) === judged) rmSync(file, { recursive: true, force: true });
  } finally {
    rmSync(guard, { recursive: true, force: true });
  }
}

export interface DataDirLock {
  /** Throws DatabaseLockLostError, synchronously, once the lock file is no longer ours (a stat: cheap enough per query). */
  assertHeld(): void;
  /** Reads the lock file: true while it is ours; otherwise marks the lock lost. */
  check(): boolean;
  /** Whether the lock was found lost (then nothing in the directory may be touched again). */
  readonly lost: boolean;
  /** Stops refreshing and removes the lock file if it is still ours; never throws for a lost lock. */
  release(): void;
}

/**
 * Locks a PGlite data directory for this process. The lock file names the holder (pid, host); a
 * second process takes it over only when the holder is provably dead (same host, pid gone), or, for
 * a holder on another host that cannot be checked, when it has not been refreshed for `staleMs`.
 * The holder refreshes it every `staleMs / 4` and checks it is still its own; `onLost` is called
 * once if it is not.
 */
export async function lockDataDir(
  dir: string,
  opts: { staleMs?: number; onLost: (err: DatabaseLockLostError) => void },
): Promise<DataDirLock> {
  const staleMs = opts.staleMs ?? DEFAULT_LOCK_STALE_MS;
  const file = path.join(dir, LOCK_FILE);
  const me: Owner = {
    pid: process.pid,
    hostname: hostname(),
    pidNamespace: pidNamespace('self'),
    startTicks: startTicks('self'),
    token: randomBytes(12).toString('hex'),
  };

  for (let attempt = 0; ; attempt++) {
    if (tryCreate(file, me)) break;
    const stat = statOrUndefined(file);
    if (!stat) continue;
    const owner = stat.isDirectory() ? undefined : readOwner(file);
    const { dead, checkable } = holderIsDead(owner, stat, staleMs);
    if (!dead || attempt >= 3) {
      const extra = checkable
        ? ' If that process is paused or hung, it still holds the database: resume or stop it.'
        : ` This host cannot check whether it is alive: its lock is taken over once it has not been refreshed for ${Math.round(staleMs / 1000)} s ` +
          `(last refreshed ${Math.round((Date.now() - stat.mtimeMs) / 1000)} s ago).`;
      throw new DatabaseLockedError(dir, describe(owner), extra);
    }
    await takeOver(file, fingerprint(file, stat));
  }

  // What the file looks like as we last left it; any replacement changes its inode, ctime or size.
  const look = () => {
    const stat = statOrUndefined(file);
    return stat && `${stat.ino}:${stat.ctimeMs}:${stat.size}`;
  };
  let mine = look();
  heldHere.add(me.token);
  let state: 'held' | 'lost' | 'released' = 'held';
  const markLost = () => {
    if (state !== 'held') return;
    state = 'lost';
    heldHere.delete(me.token);
    clearInterval(timer);
    opts.onLost(new DatabaseLockLostError(dir));
  };
  const check = () => {
    if (state === 'held' && !(look() === mine && readOwner(file)?.token === me.token)) markLost();
    return state === 'held';
  };
  const timer = setInterval(
    () => {
      if (!check()) return;
      try {
        const now = new Date();
        utimesSync(file, now, now);
        mine = look();
      } catch {
        markLost();
      }
    },
    Math.max(50, Math.floor(staleMs / 4)),
  );
  timer.unref();

  return {
    assertHeld() {
      // The refresh timer may run late by a pause of any length: a stat here catches a takeover before the next write.
      if (state === 'held' && look() !== mine) markLost();
      if (state === 'lost') throw new DatabaseLockLostError(dir);
      if (state === 'released') throw new Error(`The embedded database in ${dir} is closed`);
    },
    check,
    get lost() {
      return state === 'lost';
    },
    release() {
      if (!check()) return;
      state = 'released';
      heldHere.delete(me.token);
      clearInterval(timer);
      unlinkSync(file);
    },
  };
}
