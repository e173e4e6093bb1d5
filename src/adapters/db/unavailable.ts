import type { PostgresPool } from 'kysely';
import pg from 'pg';
import { AppError } from '../../kernel/errors.js';

/**
 * SQLSTATEs that say the server is not taking work right now (shutting down, crashed, starting up or
 * recovering, out of connection slots), not that the statement is wrong. Class 08 is "connection exception".
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// pg reports a dropped socket, a client poisoned by one and a connect timeout with plain Errors that carry no code.
const UNAVAILABLE_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;

/** True when `err` means the database cannot be reached, as opposed to a query it refused. */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || UNAVAILABLE_ERRNOS.has(code))
  )
    return true;
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  if (err instanceof AggregateError) return err.errors.some(isConnectionFailure);
  return UNAVAILABLE_MESSAGES.test(err.message);
}

/** The error every caller sees while the database is down: the transports answer 503 with Retry-After. */
export const databaseUnavailable = (cause?: unknown) =>
  new AppError(
    'unavailable',
    'The database is unavailable (connection lost or server restarting); try again in a few seconds',
    undefined,
    { cause },
  );

export interface ClientGuard {
  /** Runs before every query; throws to refuse it. */
  before?: () => void;
  /** Replaces a query's error (e.g. a dropped connection becomes `unavailable`). */
  mapError?: (err: unknown) => unknown;
}

type AnyQuery = (...args: unknown[]) => unknown;

/**
 * A pg client class (the pool's `Client` option) with `guard` around every query, so the app's
 * queries (through Kysely) and the job queue's (on the pool directly) pass the same checks.
 */
export function guardedClient(guard: ClientGuard): typeof pg.Client {
  const mapError = guard.mapError ?? ((err: unknown) => err);
  return class GuardedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      const query = this.query.bind(this) as AnyQuery;
      const guarded: AnyQuery = (...args) => {
        const callback = args.at(-1);
        if (typeof callback === 'function') {
          try {
            guard.before?.();
          } catch (err) {
            process.nextTick(callback, err);
            return undefined;
          }
          return query(...args.slice(0, -1), (err: unknown, res: unknown) => callback(err ? mapError(err) : err, res));
        }
        // A cursor (streaming) is returned as is, its reads failing on their own; a refusal is thrown.
        const cursor = typeof (args[0] as { submit?: unknown } | undefined)?.submit === 'function';
        try {
          guard.before?.();
        } catch (err) {
          if (cursor) throw err;
          return Promise.reject(err);
        }
        const result = query(...args);
        return result instanceof Promise ? result.catch((err) => Promise.reject(mapError(err))) : result;
      };
      this.query = guarded as pg.Client['query'];
    }
  };
}

/** The pool as Kysely sees it, with a failed checkout (server down, connect timeout) mapped like a failed query. */
export function mappedPool(pool: pg.Pool, mapError: (err: unknown) => unknown): PostgresPool {
  return {
    connect: () => pool.connect().catch((err) => Promise.reject(mapError(err))),
    end: () => pool.end(),
  };
}
