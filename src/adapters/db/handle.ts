import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { DatabaseLockLostError } from './pglite-lock.js';
import type { Database } from './schema.js';

// What opening a database takes and gives, apart from either way of opening one: `connect.ts`
// (PostgreSQL, and the choice) and `pglite.ts` (loaded only for PGlite) both use it.

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
  /** `dataDir` is a directory, or `memory://` for a throwaway database. */
  | {
      kind: 'pglite';
      dataDir: string;
      loadDataDir?: Blob;
      lockStaleMs?: number;
      /** PostgreSQL's buffer cache, e.g. `16MB`; PGlite's default (128 MB) when absent. */
      sharedBuffers?: string;
    };

export interface DatabaseHandle {
  db: Kysely<Database>;
  /** The pool under `db`, for clients that speak SQL text (the job queue). */
  pool: pg.Pool;
  kind: DatabaseTarget['kind'];
  close(): Promise<void>;
}

export interface DatabaseEvents {
  /** Connection lost and regained (PostgreSQL): worth a log line each, not a crash. */
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /**
   * This process lost its lock on a PGlite directory: every query already fails; the process
   * should stop (the CLI exits). Without a handler the error is only logged.
   */
  onLockLost?: (err: DatabaseLockLostError) => void;
}
