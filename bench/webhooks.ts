/**
 * Outgoing webhooks from one process: deliveries per second to a local receiver, and the time from
 * an event (its outbox transaction committed) to its arrival at the receiver when the system is at
 * rest. Baseline in the same run: a plain keep-alive HTTP POST loop to the same receiver, with the
 * same bodies and the same number of requests in flight, which is what the network part alone costs.
 * A fresh PostgreSQL database (dropped at the end). Run with `npm run bench:webhooks`; knobs:
 * BENCH_DELIVERIES (6000, per row), BENCH_ENDPOINTS (`1,4,16`: one row each), BENCH_LATENCY_RUNS (200).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { openDatabase } from '../src/adapters/db/connect.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { WebhookRunner } from '../src/domains/webhooks/index.js';
import * as webhooks from '../src/domains/webhooks/webhooks.service.js';
import { insertWorkspace } from '../src/domains/tenancy/workspaces.service.js';
import { systemActor } from '../src/kernel/context.js';
import type { RequestContext } from '../src/kernel/context.js';
import { newId } from '../src/kernel/ids.js';
import { appendEvent } from '../src/kernel/outbox.js';
import { createDatabase } from './lib/postgres.js';
import { fmt, markdownTable, quantile } from './lib/stats.js';

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 6000);
const ENDPOINT_COUNTS = (process.env.BENCH_ENDPOINTS ?? '1,4,16').split(',').map(Number);
const LATENCY_RUNS = Number(process.env.BENCH_LATENCY_RUNS ?? 200);
const log = pino({ level: 'silent' });

/** The receiver: answers 200 at once and notes when each event id arrived. */
function startReceiver() {
  const arrived = new Map<string, number>();
  let count = 0;
  const server = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      count++;
      const id = req.headers['webhook-id'];
      if (typeof id === 'string' && !arrived.has(id)) arrived.set(id, performance.now());
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  return new Promise<{ url: string; arrived: Map<string, number>; count: () => number; close(): void }>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}/hook`,
        arrived,
        count: () => count,
        close: () => {
          server.closeAllConnections();
          server.close();
        },
      });
    }),
  );
}

const waitFor = async (check: () => boolean | Promise<boolean>, timeoutMs = 600_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** `n` POSTs of `body` with `inFlight` at once over keep-alive sockets: the network's share alone. */
async function postLoop(url: string, body: string, n: number, inFlight: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  let next = 0;
  const post = () =>
    new Promise<void>((done, fail) => {
      const req = http.request(url, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'webhook-id': '' },
      });
      req.on('response', (res) => {
        res.on('data', () => {});
        res.on('end', done);
      });
      req.on('error', fail);
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < n) await post();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return n / seconds;
}

const database = await createDatabase();
const handle = await openDatabase({ kind: 'postgres', url: database.url });
const config = loadConfig({
  HOST: '127.0.0.1',
  PORT: '0',
  DATABASE_URL: database.url,
  SWITCHBOARD_SECRET_KEY: randomBytes(32).toString('base64'),
  SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE: '1',
  SWITCHBOARD_RATE_LIMITS: 'off',
});
const app = await createApp(config, log, { database: handle, startJobs: false });
const receiver = await startReceiver();
let runner: WebhookRunner | undefined;
try {
  const org = newId('org');
  await app.db.insertInto('organizations').values({ id: org, name: 'Bench', created_at: new Date() }).execute();
  const contextFor = async (slug: string) => {
    const ws = await insertWorkspace(app.db, app.clock, org, { name: slug, slug, is_test: false });
    return { ...app, workspace: ws, actor: systemActor('bench'), principal: undefined } as unknown as RequestContext;
  };
  const emit = (ctx: RequestContext, n: number) =>
    app.db.transaction().execute(async (trx) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++)
        ids.push((await appendEvent(trx, ctx, 'sending.paused', { reason: `bench ${i}` })).id);
      return ids;
    });
  const body = JSON.stringify({ type: 'sending.paused', timestamp: new Date().toISOString(), data: { n: 1 } });
  const rows: string[][] = [];
  const perEndpoint = config.webhooks.concurrencyPerEndpoint;

  // Throughput: a backlog of events in a workspace with n endpoints, drained by one runner; then the
  // baseline, the same number of POSTs with as many in flight as the runner may have (n × per-endpoint cap).
  for (const n of ENDPOINT_COUNTS) {
    const ctx = await contextFor(`bench${n}`);
    for (let i = 0; i < n; i++)
      await webhooks.createWebhook(ctx, { url: `${receiver.url}/${i}`, events: ['sending.paused'] });
    const events = Math.ceil(DELIVERIES / n);
    for (let done = 0; done < events; done += 500) await emit(ctx, Math.min(500, events - done));
    const total = events * n;
    runner = new WebhookRunner(app, log);
    const started = performance.now();
    runner.start();
    await waitFor(async () => {
      const { c } = await app.db
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.countAll<string>().as('c'))
        .where('workspace_id', '=', ctx.workspace.id)
        .where('status', '=', 'succeeded')
        .executeTakeFirstOrThrow();
      return Number(c) === total;
    });
    const rate = total / ((performance.now() - started) / 1000);
    await runner.stop();
    runner = undefined;
    const baseline = await postLoop(receiver.url, body, total, Math.min(256, n * perEndpoint));
    rows.push([`deliveries/s, ${n} endpoint(s), ${total} deliveries`, fmt(rate, 0), fmt(baseline, 0)]);
    for (const w of await webhooks.listWebhooks(ctx)) await webhooks.updateWebhook(ctx, w.id, { enabled: false });
  }

  // At rest: one event at a time, spaced out; from its commit to its arrival at the one endpoint.
  const ctx = await contextFor('rest');
  await webhooks.createWebhook(ctx, { url: `${receiver.url}/rest`, events: ['sending.paused'] });
  runner = new WebhookRunner(app, log);
  runner.start();
  const latencies: number[] = [];
  const posts: number[] = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
    const [id] = await emit(ctx, 1);
    const committed = performance.now();
    await waitFor(() => receiver.arrived.has(id!));
    latencies.push(receiver.arrived.get(id!)! - committed);
    const p0 = performance.now();
    await postLoop(receiver.url, body, 1, 1);
    posts.push(performance.now() - p0);
  }
  latencies.sort((a, b) => a - b);
  posts.sort((a, b) => a - b);
  rows.push(
    [
      `event → receiver at rest, p50 ms (${LATENCY_RUNS} events)`,
      fmt(quantile(latencies, 0.5)),
      fmt(quantile(posts, 0.5)),
    ],
    ['event → receiver at rest, p99 ms', fmt(quantile(latencies, 0.99)), fmt(quantile(posts, 0.99))],
  );

  console.log(
    `\nload average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )} on ${os.cpus().length} CPUs; ${perEndpoint} in flight per endpoint, poll ${config.webhooks.pollMs} ms\n`,
  );
  console.log(markdownTable(['measure', 'Switchboard (one process)', 'plain POST loop (baseline)'], rows));
} finally {
  await runner?.stop();
  receiver.close();
  await app.close();
  await database.drop();
}
