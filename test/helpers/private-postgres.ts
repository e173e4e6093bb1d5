import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Debian package's server binaries; SWITCHBOARD_TEST_PG_BIN points elsewhere. */
export const PG_BIN = process.env.SWITCHBOARD_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why a private server cannot be started here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(path.join(PG_BIN, tool)))
      return `the PostgreSQL server binaries are not installed (no ${path.join(PG_BIN, tool)}; set SWITCHBOARD_TEST_PG_BIN)`;
  }
  return undefined;
}

export interface PrivatePostgres {
  url: string;
  port: number;
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** initdb refuses to run as root: as root, the server runs as the `postgres` system user. */
const asServerUser = (tool: string, args: string[]) =>
  process.getuid?.() === 0
    ? run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, tool), ...args])
    : run(path.join(PG_BIN, tool), args);

/**
 * A PostgreSQL server of its own, in a temporary directory on a free port, that a test may stop and
 * restart without disturbing the shared server other tests use.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-pg-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = path.join(dir, 'data');
  await asServerUser('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const ctl = (...args: string[]) =>
    asServerUser('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', ...args]);
  await ctl('-o', options, 'start');
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: async (mode) => {
      await ctl('-m', mode, '-o', options, 'restart');
      running = true;
    },
    stop: async (mode) => {
      await ctl('-m', mode, 'stop');
      running = false;
    },
    start: async () => {
      await ctl('-o', options, 'start');
      running = true;
    },
    destroy: async () => {
      if (running) await ctl('-m', 'immediate', 'stop').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
