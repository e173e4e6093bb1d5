import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../../../src/adapters/db/connect.js';
import { DatabaseLockLostError, DatabaseLockedError, lockDataDir } from '../../../src/adapters/db/pglite-lock.js';
import { TEST_DB_KIND, createSharedTestDatabase } from '../../helpers/db.js';

const lockFile = (dir: string) => path.join(dir, 'switchboard.lock');
/** How a holder on this host (and in this PID namespace) describes itself. */
const here = {
  hostname: hostname(),
  pidNamespace: existsSync('/proc/self/ns/pid') ? readlinkSync('/proc/self/ns/pid') : undefined,
};
const writeOwner = (dir: string, owner: Record<string, unknown>) =>
  writeFileSync(lockFile(dir), JSON.stringify({ token: 'theirs', ...owner }));
const ageBy = (file: string, ms: number) => {
  const then = new Date(Date.now() - ms);
  utimesSync(file, then, then);
};

/** The pid of a process that has exited (and was reaped), so nothing answers to it. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

// The lock is a file-system matter: one project is enough.
describe.skipIf(TEST_DB_KIND !== 'pglite')('the PGlite data directory lock', () => {
  let dir: string;
  const lost: DatabaseLockLostError[] = [];
  const lock = (staleMs = 20_000) => lockDataDir(dir, { staleMs, onLost: (err) => lost.push(err) });

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'switchboard-lock-'));
    lost.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records pid and host, refuses a second holder in the same process, and removes the file on release', async () => {
    const held = await lock();
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: process.pid, ...here });
    await expect(lock()).rejects.toThrow(DatabaseLockedError);
    held.release();
    expect(() => statSync(lockFile(dir))).toThrow(/ENOENT/);
    (await lock()).release();
  });

  it('takes over at once from a holder on this host whose pid is gone, however fresh its lock', async () => {
    writeOwner(dir, { pid: await deadPid(), ...here });
    const held = await lock();
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(process.pid);
    held.release();
  });

  it('refuses a live holder on this host even when its lock is stale, naming the remedy', async () => {
    // The parent of this test process is alive, and paused processes do not refresh their lock.
    writeOwner(dir, { pid: process.ppid, ...here });
    ageBy(lockFile(dir), 60_000);
    const refused = await lock(1000).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(DatabaseLockedError);
    expect((refused as Error).message).toMatch(
      new RegExp(`pid ${process.ppid} on this host.*DATABASE_URL.*over HTTP.*paused or hung`),
    );
  });

  it.runIf(process.platform === 'linux')(
    'takes over from a recycled pid: a live process that started at another time than the holder',
    async () => {
      writeOwner(dir, { pid: process.ppid, ...here, startTicks: '1' });
      (await lock()).release();
    },
  );

  it('waits for staleness when the holder is on another host, and says so', async () => {
    writeOwner(dir, { pid: 1234, hostname: 'elsewhere.example' });
    const refused = await lock(5000).catch((e: Error) => e);
    expect((refused as Error).message).toMatch(
      /pid 1234 on host elsewhere\.example.*cannot check whether it is alive.*not been refreshed for 5 s/,
    );
    ageBy(lockFile(dir), 6000);
    (await lock(5000)).release();
  });

  it('treats the directory lock of an older version by its age', async () => {
    mkdirSync(lockFile(dir));
    await expect(lock(5000)).rejects.toThrow(DatabaseLockedError);
    ageBy(lockFile(dir), 6000);
    (await lock(5000)).release();
  });

  it('lets exactly one of several starters take over from a dead holder', async () => {
    writeOwner(dir, { pid: await deadPid(), ...here });
    const results = await Promise.allSettled([lock(), lock(), lock()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'fulfilled') r.value.release();
  });

  it('notices at the next query that its lock file was replaced, reports it once, and leaves the new file alone', async () => {
    const held = await lock(60_000);
    expect(() => held.assertHeld()).not.toThrow();
    rmSync(lockFile(dir));
    writeOwner(dir, { pid: process.ppid, ...here, token: 'intruder' });
    expect(() => held.assertHeld()).toThrow(DatabaseLockLostError);
    expect(() => held.assertHeld()).toThrow(/lost its lock/);
    expect(lost).toHaveLength(1);
    held.release();
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).token).toBe('intruder');
  });

  it('fails every query of a handle whose lock was taken, with unavailable, and closes without touching the directory', async () => {
    await (await createSharedTestDatabase(path.join(dir, 'db'))).handle.close();
    const handle = await openDatabase(
      { kind: 'pglite', dataDir: path.join(dir, 'db') },
      { onLockLost: (err) => lost.push(err) },
    );
    await sql`select 1`.execute(handle.db);
    const file = lockFile(path.join(dir, 'db'));
    rmSync(file);
    writeFileSync(file, JSON.stringify({ pid: process.ppid, ...here, token: 'intruder' }));
    await expect(sql`select 1`.execute(handle.db)).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/lost its lock/),
    });
    expect(lost).toHaveLength(1);
    await handle.close();
    expect(JSON.parse(readFileSync(file, 'utf8')).token).toBe('intruder');
  });
});
