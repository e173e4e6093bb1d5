import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_TIME_CAP_MS } from '../../src/domains/agents/agents.model.js';
import { recoverStaleRuns } from '../../src/domains/agents/index.js';
import type { Clock } from '../../src/kernel/clock.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { type FakeAnthropicServer, startFakeAnthropic } from '../helpers/fake-anthropic.js';
import { until } from '../helpers/wait.js';

/**
 * How agent runs end when their caller or their process goes away, and what they count: a run a
 * crash left `running` is recovered as failed, a REST client that disconnects cancels its run, and
 * execute_agent counts against the monthly message quota like a message.
 */
describe('agent runs: crash recovery, REST cancellation, quota', () => {
  let claude: FakeAnthropicServer;
  let t: TestApp;
  let server: RunningServer;
  let key: string;
  let agentId: string;
  let now = Date.parse('2026-12-30T10:00:00Z');
  const clock: Clock = { now: () => new Date(now) };

  const api = async (method: string, path: string, body?: unknown, signal?: AbortSignal) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    return { status: res.status, body: await res.json() };
  };
  const executions = (status: string) =>
    t.app.db
      .selectFrom('agent_executions')
      .select(['id', 'kind', 'status', 'error', 'conversation_id', 'message_id', 'finished_at'])
      .where('status', '=', status as 'running')
      .execute();
  const events = (type: string) =>
    t.app.db.selectFrom('events').select(['data', 'actor_type']).where('type', '=', type).orderBy('id').execute();

  beforeAll(async () => {
    claude = await startFakeAnthropic();
    claude.respond(() => ({ text: 'We are open from 9:00.' }));
    t = await createTestApp(
      {
        anthropic: claude.config,
        agents: { monthlyMessages: 1000, maxSteps: 4, maxTokensPerRun: 100_000 },
      },
      { clock },
    );
    const org = await createOrg(t.app);
    key = await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'main')]);
    server = await startHttpServer(t.app, { port: 0 });
    agentId = (
      await api('POST', '/agents', { name: 'Desk', tools: [], goal_template: 'When are you open on {{day}}?' })
    ).body.agent.id;
  });

  afterAll(async () => {
    await server?.close();
    await t?.close();
    await claude?.close();
  });

  it('a run still running past the run time cap is recovered as failed, with message.failed; its late answer is not kept', async () => {
    // The model holds its answer: this is the run a crash would leave behind, message stored, answer never.
    claude.delayNext(1, 4000);
    const pending = api('POST', '/messages', { agent_id: agentId, content: 'Are you open on Sunday?' });
    const [running] = await until('the run to start', async () => {
      const r = await executions('running');
      return r.length === 1 && r;
    });
    expect(await recoverStaleRuns(t.app)).toBe(0); // not stale yet: under the cap
    now += RUN_TIME_CAP_MS + 1000;
    expect(await recoverStaleRuns(t.app)).toBe(1);
    expect(await recoverStaleRuns(t.app)).toBe(0); // once
    const [failed] = await executions('failed');
    expect(failed).toMatchObject({ id: running!.id, kind: 'message', error: expect.stringMatching(/^interrupted:/) });
    expect(failed!.finished_at).not.toBeNull();
    expect((await events('message.failed')).map((e) => e.data)).toEqual([
      {
        message_id: running!.message_id,
        session_id: running!.conversation_id,
        agent_id: agentId,
        execution_id: running!.id,
        reason: expect.stringMatching(/^interrupted:/),
      },
    ]);
    // The process was not dead after all: its answer arrives, and is refused rather than stored beside the failure.
    const late = await pending;
    expect(late.status, JSON.stringify(late.body)).toBe(409);
    expect(late.body.error.message).toMatch(/recorded as failed/);
    const stored = await t.app.db
      .selectFrom('messages')
      .select('direction')
      .where('conversation_id', '=', running!.conversation_id)
      .execute();
    expect(stored.map((m) => m.direction)).toEqual(['inbound']);
    expect(await executions('failed')).toHaveLength(1);
    expect(await executions('running')).toHaveLength(0);
  });

  it('a REST client that disconnects during POST /messages cancels the model call; the run is recorded cancelled', async () => {
    claude.delayNext(1, 30_000);
    const before = claude.requests.length;
    const client = new AbortController();
    const pending = api('POST', '/messages', { agent_id: agentId, content: 'Hello, anyone there?' }, client.signal);
    await until('the model call to start', () => claude.requests.length > before);
    client.abort();
    await expect(pending).rejects.toThrow();
    const [cancelled] = await until('the run to be recorded cancelled', async () => {
      const r = await executions('cancelled');
      return r.length === 1 && r;
    });
    expect(cancelled).toMatchObject({ kind: 'message', error: expect.stringMatching(/cancelled/) });
    expect((await events('message.failed')).at(-1)!.data).toMatchObject({ execution_id: cancelled!.id });
    expect(await executions('running')).toHaveLength(0);
  });

  it('a REST client that disconnects during POST /agents/execute cancels the run', async () => {
    claude.delayNext(1, 30_000);
    const before = claude.requests.length;
    const client = new AbortController();
    const pending = api('POST', '/agents/execute', { agent_id: agentId, input: { day: 'Monday' } }, client.signal);
    await until('the model call to start', () => claude.requests.length > before);
    client.abort();
    await expect(pending).rejects.toThrow();
    const runs = await until('the run to be recorded cancelled', async () => {
      const r = (await executions('cancelled')).filter((e) => e.kind === 'execute');
      return r.length === 1 && r;
    });
    expect(runs[0]!.error).toMatch(/cancelled/);
    expect(await executions('running')).toHaveLength(0);
  });

  it('turns in one session are one at a time: of two concurrent messages one is answered, the other gets 409 conflict', async () => {
    const first = await api('POST', '/messages', { agent_id: agentId, content: 'First message' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const session_id = first.body.session_id;
    claude.delayNext(1, 3000); // the turn that gets in waits for its answer while the other is sent
    const [a, b] = await Promise.all([
      api('POST', '/messages', { agent_id: agentId, session_id, content: 'Message A' }),
      api('POST', '/messages', { agent_id: agentId, session_id, content: 'Message B' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const lost = a.status === 200 ? b : a;
    const winner = a.status === 200 ? 'Message A' : 'Message B';
    expect(lost.body.error).toMatchObject({ code: 'conflict', param: 'session_id' });
    expect(lost.body.error.message).toMatch(/is still answering message msg_\w+/);
    const stored = await t.app.db
      .selectFrom('messages')
      .select(['direction', 'body'])
      .where('conversation_id', '=', session_id)
      .orderBy('id')
      .execute();
    expect(stored.map((m) => `${m.direction}:${m.body}`)).toEqual([
      'inbound:First message',
      'outbound:We are open from 9:00.',
      `inbound:${winner}`,
      'outbound:We are open from 9:00.',
    ]);
    // Once answered, the session takes the next message.
    expect((await api('POST', '/messages', { agent_id: agentId, session_id, content: 'Next' })).status).toBe(200);
  });
});

describe('execute_agent and the monthly message quota', () => {
  it('counts one run against the quota, like a message, and refuses past it with quota_exceeded and the reset date', async () => {
    const t = await createTestApp(
      { agents: { monthlyMessages: 2, maxSteps: 4, maxTokensPerRun: 10_000 } },
      { clock: { now: () => new Date('2026-12-30T10:00:00Z') } },
    );
    const server = await startHttpServer(t.app, { port: 0 });
    try {
      const org = await createOrg(t.app);
      const key = await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'main')]);
      const api = (path: string, body: unknown) =>
        fetch(`${server.url}/api/v1${path}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then(async (r) => ({ status: r.status, body: await r.json() }));
      const agent = (await api('/agents', { name: 'a', goal_template: 'Say hello to {{name}}' })).body.agent.id;
      expect((await api('/agents/execute', { agent_id: agent, input: { name: 'Ann' } })).status).toBe(200);
      expect((await api('/messages', { agent_id: agent, content: 'Hello' })).status).toBe(200);
      const runs = await t.app.db.selectFrom('agent_executions').select('id').execute();
      for (const over of [
        await api('/agents/execute', { agent_id: agent, input: { name: 'Bob' } }),
        await api('/messages', { agent_id: agent, content: 'Hello again' }),
      ]) {
        expect(over.status).toBe(429);
        expect(over.body.error.code).toBe('quota_exceeded');
        expect(over.body.error.message).toContain('2027-01-01T00:00:00.000Z');
      }
      // A refused run records nothing.
      expect(await t.app.db.selectFrom('agent_executions').select('id').execute()).toEqual(runs);
    } finally {
      await server.close();
      await t.close();
    }
  });
});
