import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/adapters/db/connect.js';
import { startServe as serve, stop } from '../helpers/cli.js';
import { TEST_DB_KIND, createPgDatabase } from '../helpers/db.js';
import { until } from '../helpers/wait.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';

/**
 * Delivery state lives in PostgreSQL, so neither a process killed in the middle of deliveries nor a
 * second process on the same database changes what a receiver gets: every event, each attempt once.
 * Spawned `switchboard serve` processes, as deployed; PostgreSQL only (PGlite allows one process).
 */
describe.skipIf(TEST_DB_KIND !== 'postgres')('webhook delivery across server processes on one PostgreSQL', () => {
  let env: Record<string, string>;
  let db: DatabaseHandle;
  let drop = async () => {};
  let key = '';
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    const created = await createPgDatabase();
    drop = created.drop;
    db = await openDatabase({ kind: 'postgres', url: created.url });
    env = {
      DATABASE_URL: created.url,
      SWITCHBOARD_SECRET_KEY: randomBytes(32).toString('base64'),
      SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE: '1',
      // A 1 s timeout makes a crashed claim expire after 7 s (2 × timeout + 5 s), and retries come after 50 ms.
      SWITCHBOARD_WEBHOOKS_TIMEOUT_MS: '1000',
      SWITCHBOARD_WEBHOOKS_RETRY_SCHEDULE: '0.05,0.05,0.05,0.05,0.05,0.05',
      SWITCHBOARD_WEBHOOKS_POLL_MS: '20',
    };
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await db?.close();
    await drop();
  });

  const client = (url: string) => async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${url}/api/v1${p}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    return res.json();
  };
  const eventsOf = async (slug: string, type: string) =>
    db.db
      .selectFrom('events as e')
      .innerJoin('workspaces as w', 'w.id', 'e.workspace_id')
      .select('e.id')
      .where('w.slug', '=', slug)
      .where('e.type', '=', type)
      .execute()
      .then((rows) => rows.map((r) => r.id));

  it('a server killed with SIGKILL mid-delivery and restarted loses no event', { timeout: 120_000 }, async () => {
    let secret = '';
    let killed = false;
    // Answers the first few, then holds every request open until the server is killed: those are in flight.
    const receiver = await startReceiver(
      () => [secret],
      () => (killed ? 200 : receiver.attempts.length <= 5 ? 200 : 'hang'),
    );
    receivers.push(receiver);
    let server = await serve(env);
    key = server.output().match(/\b(sb_[a-z0-9]{20,})\b/)![1]!;
    let api = client(server.url);
    await api('POST', '/workspaces', { name: 'Crash', slug: 'crash' });
    const { webhook } = await api('POST', '/webhooks', {
      workspace_id: 'crash',
      url: receiver.url,
      events: ['prospect.created'],
    });
    secret = webhook.secret;
    for (let i = 0; i < 30; i++)
      await api('POST', '/prospects', { workspace_id: 'crash', email: `p${i}@example.com`, first_name: `P${i}` });
    await until('deliveries in flight', () => receiver.attempts.length > 10, { interval: 10 });
    await stop(server.child, 'SIGKILL');
    killed = true;
    const before = receiver.ids().size;

    server = await serve(env);
    api = client(server.url);
    try {
      const events = await eventsOf('crash', 'prospect.created');
      expect(events).toHaveLength(30);
      expect(before).toBeLessThan(30);
      await until('every event at the receiver', () => receiver.ids().size === 30, { timeout: 60_000 }).catch(
        async (err) => {
          const states = await db.db
            .selectFrom('webhook_deliveries')
            .select(['status', 'attempts', 'last_error'])
            .where('endpoint_id', '=', webhook.id)
            .execute();
          throw new Error(`${err.message}: ${receiver.ids().size} received; ${JSON.stringify(states)}`);
        },
      );
      for (const id of receiver.ids()) expect(events).toContain(id);
      expect(receiver.invalid).toEqual([]);
    } finally {
      await stop(server.child);
    }
  });

  it('two server processes deliver every event, each attempt once', { timeout: 120_000 }, async () => {
    let secret = '';
    // Slow enough answers that both processes have deliveries in flight at once.
    const receiver = await startReceiver(
      () => [secret],
      () => 200,
    );
    receivers.push(receiver);
    const one = await serve(env);
    const two = await serve(env);
    try {
      const apis = [client(one.url), client(two.url)];
      await apis[0]!('POST', '/workspaces', { name: 'Pair', slug: 'pair' });
      const { webhook } = await apis[1]!('POST', '/webhooks', {
        workspace_id: 'pair',
        url: receiver.url,
        events: ['prospect.created'],
      });
      secret = webhook.secret;
      const N = 200;
      await Promise.all(
        Array.from({ length: 4 }, async (_, lane) => {
          for (let i = lane; i < N; i += 4)
            await apis[i % 2]!('POST', '/prospects', {
              workspace_id: 'pair',
              email: `two${i}@example.com`,
              first_name: `T${i}`,
            });
        }),
      );
      await until('every event at the receiver', () => receiver.ids().size === N, { timeout: 60_000 });
      // Give a duplicate, if there were one, time to arrive.
      await until('every attempt recorded', async () => {
        const { n } = await db.db
          .selectFrom('webhook_attempts')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('endpoint_id', '=', webhook.id)
          .executeTakeFirstOrThrow();
        return Number(n) >= N;
      });
      expect(receiver.attempts).toHaveLength(N);
      expect([...receiver.attemptsById.values()].every((n) => n === 1)).toBe(true);
      const attempts = await db.db
        .selectFrom('webhook_attempts')
        .select(['delivery_id', 'attempt', 'status_code'])
        .where('endpoint_id', '=', webhook.id)
        .execute();
      expect(attempts).toHaveLength(N);
      expect(new Set(attempts.map((a) => a.delivery_id)).size).toBe(N);
      expect(attempts.every((a) => a.attempt === 1 && a.status_code === 200)).toBe(true);
    } finally {
      await Promise.all([stop(one.child), stop(two.child)]);
    }
  });
});
