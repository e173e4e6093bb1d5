/**
 * Console page times on demo data: each page fetched with a signed-in session, p50/p95 of
 * BENCH_RUNS (50) sequential requests, next to the REST calls the same pages are built from (same
 * run, same key), on embedded PGlite (in memory) as `npm start` uses it.
 * Demo data: the `demo` test workspace of the first start, `switchboard seed`'s prospects, one
 * pending draft each, BENCH_REPLIES (40) replies and an escalation per 4 replies.
 * Run with `npm run bench:console`.
 */
import pino from 'pino';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { seedDemoData } from '../src/domains/prospects/index.js';
import { bootstrapIfEmpty } from '../src/domains/tenancy/index.js';
import { authenticateKey } from '../src/domains/tenancy/auth.js';
import { resolveWorkspace } from '../src/domains/tenancy/workspaces.service.js';
import { startHttpServer } from '../src/transport/http/server.js';
import { fmt, markdownTable, quantile } from './lib/stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const REPLIES = Number(process.env.BENCH_REPLIES ?? 40);
const log = pino({ level: 'silent' });

const config = loadConfig({
  HOST: '127.0.0.1',
  PORT: '0',
  SWITCHBOARD_DATA_DIR: 'memory://',
  SWITCHBOARD_RATE_LIMITS: 'off',
  LOG_LEVEL: 'silent',
} as NodeJS.ProcessEnv);
const app = await createApp(config, log, { startJobs: false });
const server = await startHttpServer(app, { port: 0 });
try {
  const key = (await bootstrapIfEmpty(app.db, app.clock))!.key.secret;
  const principal = (await authenticateKey(app.db, app.clock, key))!;
  const workspace = await resolveWorkspace(app.db, principal, 'demo');
  await seedDemoData({ ...app, log, requestId: 'bench', actor: { type: 'system', id: 'bench' }, workspace });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  await api('POST', '/templates', {
    workspace_id: 'demo',
    key: 'intro',
    name: 'Intro',
    category: 'email',
    subject: 'Hello {{prospect.first_name}}',
    body: 'Hi {{prospect.first_name}},\n\nA note for {{prospect.company | "your team"}}.\n\nSam',
  });
  const { prospects } = await api('GET', '/prospects?workspace_id=demo&limit=100');
  for (const p of prospects)
    await api('POST', '/drafts', { workspace_id: 'demo', prospect_id: p.id, template_key: 'intro' });
  for (let i = 0; i < REPLIES; i++) {
    const reply = await api('POST', '/replies', {
      workspace_id: 'demo',
      from: `lead${i}@example.com`,
      subject: 'Re: hello',
      body: i % 3 ? 'Thanks, not now, maybe next quarter.' : 'Yes, interested: can we book a call next week?',
    });
    if (i % 4 === 0)
      await api('POST', '/escalations', {
        workspace_id: 'demo',
        conversation_id: reply.conversation_id,
        reason: 'wants a person',
      });
  }

  // Sign in as a browser does: the sign-in form's token, then the sealed session cookie.
  const form = await fetch(`${server.url}/console/login`);
  const pre = form.headers.getSetCookie()[0]!.split(';')[0]!;
  const token = (await form.text()).match(/name="_csrf" value="([^"]+)"/)![1]!;
  const signIn = await fetch(`${server.url}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, key }),
  });
  const cookie = signIn.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .filter((c) => c!.startsWith('sb_console='))
    .join('; ');

  const time = async (url: string, headers: Record<string, string>) => {
    const ms: number[] = [];
    for (let i = 0; i < RUNS + 5; i++) {
      const t = performance.now();
      const res = await fetch(url, { headers, redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
      if (i >= 5) ms.push(performance.now() - t);
    }
    return ms.sort((a, b) => a - b);
  };
  const rows: string[][] = [];
  const measure = async (label: string, url: string, headers: Record<string, string>) => {
    const ms = await time(`${server.url}${url}`, headers);
    rows.push([label, fmt(quantile(ms, 0.5)), fmt(quantile(ms, 0.95))]);
  };
  const session = { cookie };
  const bearer = { authorization: `Bearer ${key}` };
  await measure('console /approvals', '/console/approvals', session);
  await measure('console /inbox', '/console/inbox', session);
  await measure('console /numbers', '/console/numbers', session);
  await measure('console /prospects', '/console/prospects', session);
  await measure('console /settings', '/console/settings', session);
  await measure(
    'REST GET /drafts (pending, 50)',
    '/api/v1/drafts?workspace_id=demo&status=pending_approval&limit=50',
    bearer,
  );
  await measure('REST GET /replies (50)', '/api/v1/replies?workspace_id=demo&limit=50', bearer);
  await measure('REST GET /kpis', '/api/v1/kpis?workspace_id=demo&include_test=true', bearer);
  await measure('REST GET /prospects (100)', '/api/v1/prospects?workspace_id=demo&limit=100', bearer);
  await measure('REST GET /health', '/api/v1/health', {});
  console.log(
    `\n${prospects.length} prospects and pending drafts, ${REPLIES} replies, ${Math.ceil(REPLIES / 4)} escalations; ${RUNS} runs each (PGlite in memory)\n`,
  );
  console.log(markdownTable(['request', 'p50 ms', 'p95 ms'], rows));
} finally {
  await server.close();
  await app.close();
}
