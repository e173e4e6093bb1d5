import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/kernel/clock.js';
import { AppError } from '../../src/kernel/errors.js';
import {
  IDEMPOTENCY_CLAIM_STALE_MS,
  IDEMPOTENCY_TTL_MS,
  type IdempotencyScope,
  runIdempotent,
} from '../../src/kernel/idempotency.js';
import { type TestApp, addKey, createOrg, createTestApp } from '../helpers/app.js';

/** A handler that runs until the test lets it finish. */
function held<T>(result: T) {
  let release!: () => void;
  let enter!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const entered = new Promise<void>((r) => (enter = r));
  let calls = 0;
  return {
    entered,
    release,
    get calls() {
      return calls;
    },
    run: async () => {
      calls++;
      enter();
      await gate;
      return result;
    },
  };
}

const at = (ms: number): Clock => ({ now: () => new Date(ms) });
const T0 = Date.parse('2026-12-01T10:00:00Z');

describe('runIdempotent', () => {
  let t: TestApp;
  let base: Omit<IdempotencyScope, 'key'>;
  const scope = (key: string, hash = 'h1'): IdempotencyScope => ({ ...base, key, hash });
  const claims = (key: string) =>
    t.app.db.selectFrom('idempotency_keys').select(['claim_token', 'response']).where('key', '=', key).execute();

  beforeAll(async () => {
    t = await createTestApp();
    const org = await createOrg(t.app);
    await addKey(t.app, org, ['*'], 'all');
    const { id } = await t.app.db.selectFrom('api_keys').select('id').executeTakeFirstOrThrow();
    base = { organizationId: org, apiKeyId: id, operation: 'test_op', hash: 'h1' };
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers a repeat while the first runs with a retryable conflict, then replays the stored result', async () => {
    const first = held({ n: 1 });
    const running = runIdempotent(t.app.db, at(T0), scope('k-progress'), first.run);
    await first.entered;

    // No transaction is held while the handler waits: other queries go through, even on PGlite's one connection.
    expect(await t.app.db.selectFrom('organizations').select('id').execute()).toHaveLength(1);
    const repeat = runIdempotent(t.app.db, at(T0), scope('k-progress'), async () => ({ n: 2 }));
    await expect(repeat).rejects.toMatchObject({ code: 'conflict', details: { param: 'idempotency_key' } });
    await expect(repeat).rejects.toThrow(/still in progress.*retryable/);
    await expect(runIdempotent(t.app.db, at(T0), scope('k-progress', 'other'), async () => ({ n: 3 }))).rejects.toThrow(
      /already used for a different request/,
    );

    first.release();
    expect(await running).toEqual({ result: { n: 1 }, replayed: false });
    expect(await claims('k-progress')).toEqual([{ claim_token: null, response: { n: 1 } }]);
    expect(await runIdempotent(t.app.db, at(T0), scope('k-progress'), async () => ({ n: 4 }))).toEqual({
      result: { n: 1 },
      replayed: true,
    });
    expect(first.calls).toBe(1);
  });

  it('releases the key when the handler fails, so a retry runs again', async () => {
    const failure = new AppError('upstream_error', 'the model is down');
    await expect(runIdempotent(t.app.db, at(T0), scope('k-fail'), async () => Promise.reject(failure))).rejects.toBe(
      failure,
    );
    expect(await claims('k-fail')).toEqual([]);
    expect(await runIdempotent(t.app.db, at(T0), scope('k-fail'), async () => ({ ok: true }))).toEqual({
      result: { ok: true },
      replayed: false,
    });
  });

  it('takes over a claim abandoned longer than the bound, and the late first request does not overwrite its successor', async () => {
    const abandoned = held({ from: 'first' });
    const first = runIdempotent(t.app.db, at(T0), scope('k-stale'), abandoned.run);
    await abandoned.entered;

    await expect(
      runIdempotent(t.app.db, at(T0 + IDEMPOTENCY_CLAIM_STALE_MS - 1), scope('k-stale'), async () => ({
        from: 'early',
      })),
    ).rejects.toThrow(/in progress/);
    const later = at(T0 + IDEMPOTENCY_CLAIM_STALE_MS + 1);
    expect(await runIdempotent(t.app.db, later, scope('k-stale'), async () => ({ from: 'second' }))).toEqual({
      result: { from: 'second' },
      replayed: false,
    });

    abandoned.release();
    expect((await first).result).toEqual({ from: 'first' });
    expect(await runIdempotent(t.app.db, later, scope('k-stale'), async () => ({ from: 'third' }))).toEqual({
      result: { from: 'second' },
      replayed: true,
    });
  });

  it('forgets a stored result after the TTL, so the request runs again', async () => {
    await runIdempotent(t.app.db, at(T0), scope('k-ttl'), async () => ({ n: 1 }));
    expect(
      await runIdempotent(t.app.db, at(T0 + IDEMPOTENCY_TTL_MS - 1), scope('k-ttl'), async () => ({ n: 2 })),
    ).toEqual({ result: { n: 1 }, replayed: true });
    expect(
      await runIdempotent(t.app.db, at(T0 + IDEMPOTENCY_TTL_MS + 1), scope('k-ttl'), async () => ({ n: 3 })),
    ).toEqual({ result: { n: 3 }, replayed: false });
  });

  it('refuses to run inside a transaction, which would hold it across the handler', async () => {
    await expect(
      t.app.db.transaction().execute((trx) => runIdempotent(trx, at(T0), scope('k-trx'), async () => ({}))),
    ).rejects.toThrow(/not a transaction/);
  });
});
