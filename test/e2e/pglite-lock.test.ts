import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli, startServe } from '../helpers/cli.js';
import { TEST_DB_KIND, createSharedTestDatabase } from '../helpers/db.js';
import { callOk, connectHttp } from '../helpers/mcp.js';
import { until } from '../helpers/wait.js';

const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.on('exit', (code, signal) => resolve({ code, signal }));
  });

// Real processes on one data directory: the PGlite project only (with DATABASE_URL there is no lock).
describe.skipIf(TEST_DB_KIND !== 'pglite')('one process per PGlite directory, and only a live one', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'switchboard-lock-e2e-'));
  const children: ChildProcess[] = [];
  let n = 0;
  /** A migrated data directory from the run's snapshot: much faster than a first start's initdb. */
  const newDir = async () => {
    const dir = path.join(root, `data-${n++}`);
    await (await createSharedTestDatabase(dir)).handle.close();
    return dir;
  };
  const serve = async (env: Record<string, string>) => {
    const started = await startServe(env);
    children.push(started.child);
    return { ...started, key: started.output().match(/\b(sb_[a-z0-9]+)\b/)?.[1] };
  };
  const lockFile = (dir: string) => path.join(dir, 'switchboard.lock');

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.signalCode === 'SIGSTOP' || child.exitCode === null) child.kill('SIGKILL');
      await exitOf(child);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a paused holder keeps its directory past the stale time: a second process refuses, and the holder serves on', {
    timeout: 60_000,
  }, async () => {
    const dir = await newDir();
    const env = { SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_LOCK_STALE_MS: '500' };
    const holder = await serve(env);
    const client = await connectHttp(holder.url, holder.key!);
    await callOk(client, 'upsert_prospect', { email: 'before-pause@example.com' });

    holder.child.kill('SIGSTOP');
    await until(
      'the paused holder to let its lock go stale',
      () => Date.now() - statSync(lockFile(dir)).mtimeMs > 1000,
    );
    const second = await runCli(['workspaces', 'list'], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`already open in another Switchboard process \\(pid ${holder.child.pid} on this host\\)`),
    );
    expect(second.stderr).toMatch(/DATABASE_URL.*over HTTP.*paused or hung/s);

    holder.child.kill('SIGCONT');
    await callOk(client, 'upsert_prospect', { email: 'after-pause@example.com' });
    await client.close();
    holder.child.kill('SIGTERM');
    expect(await exitOf(holder.child)).toEqual({ code: 0, signal: null });

    // Every acknowledged write is there for the next process.
    const next = await serve(env);
    const reader = await connectHttp(next.url, holder.key!);
    const { prospects } = await callOk(reader, 'list_prospects', {});
    expect(prospects.map((p: { email: string }) => p.email).sort()).toEqual([
      'after-pause@example.com',
      'before-pause@example.com',
    ]);
    await reader.close();
  });

  it('after kill -9 of the holder, a new process opens the directory at once', { timeout: 60_000 }, async () => {
    const dir = await newDir();
    // The default stale time (20 s): the takeover must not depend on it.
    const env = { SWITCHBOARD_DATA_DIR: dir };
    const holder = await serve(env);
    const client = await connectHttp(holder.url, holder.key!);
    await callOk(client, 'upsert_prospect', { email: 'kept@example.com' });
    await client.close();
    holder.child.kill('SIGKILL');
    await exitOf(holder.child);

    // The dead holder's lock is still fresh: what lets the next process in is the proof that its pid is gone.
    expect(Date.now() - statSync(lockFile(dir)).mtimeMs).toBeLessThan(20_000);
    const next = await serve(env);
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(next.child.pid);
    const reader = await connectHttp(next.url, holder.key!);
    expect((await callOk(reader, 'list_prospects', {})).prospects.map((p: { email: string }) => p.email)).toEqual([
      'kept@example.com',
    ]);
    await reader.close();
  });

  it('a process whose lock file is replaced stops serving writes and exits non-zero, leaving the new lock alone', {
    timeout: 60_000,
  }, async () => {
    const dir = await newDir();
    const holder = await serve({ SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_LOCK_STALE_MS: '60000' });
    const exited = exitOf(holder.child);
    const intruder = JSON.stringify({ pid: process.pid, hostname: 'elsewhere.example', token: 'intruder' });
    // As a takeover does: the old lock goes, a new one naming another holder appears.
    rmSync(lockFile(dir), { recursive: true });
    writeFileSync(`${lockFile(dir)}.new`, intruder);
    renameSync(`${lockFile(dir)}.new`, lockFile(dir));

    const write = await fetch(`${holder.url}/api/v1/prospects`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${holder.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'after-loss@example.com' }),
    }).then(
      async (res) => ({ status: res.status, body: await res.text() }),
      (err: Error) => ({ status: 0, body: err.message }),
    );
    // Either refused with the reason, or the process is already gone (no answer): never accepted.
    expect(write.status === 0 ? 'no answer' : `${write.status} ${write.body}`).toMatch(
      /^(503 .*lost its lock|no answer)/,
    );

    expect(await exited).toEqual({ code: 1, signal: null });
    expect(holder.output()).toMatch(
      /switchboard: This process lost its lock on the embedded database in .*Restart it once no other Switchboard process uses that directory/,
    );
    expect(readFileSync(lockFile(dir), 'utf8')).toBe(intruder);
  });

  it('SIGTERM after the lock file was removed reports the lost lock instead of crashing', {
    timeout: 60_000,
  }, async () => {
    const dir = await newDir();
    const holder = await serve({ SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_LOCK_STALE_MS: '60000' });
    const exited = exitOf(holder.child);
    rmSync(lockFile(dir), { recursive: true });
    holder.child.kill('SIGTERM');

    expect(await exited).toEqual({ code: 1, signal: null });
    expect(holder.output()).toMatch(/switchboard: This process lost its lock/);
    expect(holder.output()).not.toMatch(/ERELEASED|Unhandled|\n\s+at /);
  });
});
