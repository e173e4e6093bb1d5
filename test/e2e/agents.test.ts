import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDocument } from '../../src/domains/knowledge/ingest.job.js';
import type { Clock } from '../../src/kernel/clock.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp, silentLog } from '../helpers/app.js';
import { callErr, callOk, connectHttp } from '../helpers/mcp.js';

/** A clock tests move forward: sessions expire after 24 h without activity. */
function movableClock(start = Date.parse('2026-12-05T09:00:00Z')) {
  let now = start;
  const clock: Clock = { now: () => new Date(now) };
  return {
    clock,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const CLINIC_FAQ = `# Clinique des Lilas: practical information

## Opening hours
The clinic is open Monday to Friday from 8:00 to 19:00 and Saturday from 9:00 to 12:00. It is closed on Sundays.

## Address and parking
We are at 12 rue des Lilas, Lyon. Free parking is available behind the building.

## Booking an appointment
Appointments are booked by phone at 04 72 00 00 00 or at the reception desk. Bring your health insurance card.
`;

describe('agents end to end (offline): a clinic agent over REST and MCP', () => {
  let t: TestApp;
  let server: RunningServer;
  let key: string;
  let readOnlyKey: string;
  let client: Client;
  let kbId: string;
  let otherKbId: string;
  const time = movableClock();

  const api = async (method: string, path: string, body?: unknown, withKey = key) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${withKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  async function knowledgeBase(withKey: string, workspaceId: string, name: string, content: string) {
    const kb = await api('POST', '/knowledge-bases', { name, language: 'english' }, withKey);
    expect(kb.status, JSON.stringify(kb.body)).toBe(201);
    const doc = await api(
      'POST',
      `/knowledge-bases/${kb.body.knowledge_base.id}/documents`,
      { name: 'faq.md', content },
      withKey,
    );
    expect(doc.status, JSON.stringify(doc.body)).toBe(201);
    await ingestDocument(
      t.app,
      silentLog,
      { workspace_id: workspaceId, document_id: doc.body.document.id },
      { attempt: 1, lastAttempt: false },
    );
    return kb.body.knowledge_base.id as string;
  }

  const events = async (type: string) =>
    t.app.db.selectFrom('events').select(['type', 'data', 'actor_type', 'actor_id']).where('type', '=', type).execute();

  beforeAll(async () => {
    t = await createTestApp({}, { clock: time.clock });
    const org = await createOrg(t.app);
    const ws = await addWorkspace(t.app, org, 'clinic');
    const other = await addWorkspace(t.app, org, 'other');
    key = await addKey(t.app, org, ['*'], [ws]);
    readOnlyKey = await addKey(t.app, org, ['agents:write', 'kb:read'], [ws]);
    const otherKey = await addKey(t.app, org, ['*'], [other]);
    server = await startHttpServer(t.app, { port: 0 });
    kbId = await knowledgeBase(key, ws.id, 'Clinic FAQ', CLINIC_FAQ);
    otherKbId = await knowledgeBase(otherKey, other.id, 'Elsewhere', '# Other\n\nOpening hours elsewhere: never.');
    client = await connectHttp(server.url, key);
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    await t?.close();
  });

  let agentId: string;
  let sessionId: string;

  it('creates a clinic agent with its preset: instructions, tools and escalation rules', async () => {
    const res = await api('POST', '/agents', { name: 'Front desk', vertical: 'clinic', knowledge_base_ids: [kbId] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { agent } = res.body;
    agentId = agent.id;
    expect(agent).toMatchObject({
      name: 'Front desk',
      vertical: 'clinic',
      status: 'active',
      tools: ['kb_search', 'escalate_to_human'],
      knowledge_base_ids: [kbId],
    });
    expect(agent.instructions).toMatch(/never give medical advice/);
    expect(agent.escalation_rules.map((r: { name: string }) => r.name)).toEqual([
      'emergency',
      'medical_advice',
      'asks_for_a_person',
    ]);
    expect((await api('GET', `/agents/${agentId}`)).body.agent).toEqual(agent);
    expect((await api('GET', '/agents')).body.agents.map((a: { id: string }) => a.id)).toEqual([agentId]);
  });

  it('refuses a knowledge base of another workspace and tools wider than the key', async () => {
    const foreign = await api('POST', '/agents', { name: 'x', knowledge_base_ids: [otherKbId] });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toMatchObject({ code: 'not_found', param: 'knowledge_base_ids' });
    const wider = await api('POST', '/agents', { name: 'x', tools: ['kb_search', 'upsert_prospect'] }, readOnlyKey);
    expect(wider.status).toBe(403);
    expect(wider.body.error).toMatchObject({ code: 'forbidden', param: 'tools' });
    expect(wider.body.error.message).toContain('upsert_prospect');
    const unknown = await api('POST', '/agents', { name: 'x', tools: ['send_agent_message'] });
    expect(unknown.body.error).toMatchObject({ code: 'invalid_request', param: 'tools' });
    // The preset keeps only what the key may call: this key cannot escalate.
    const narrowed = await api('POST', '/agents', { name: 'narrow', vertical: 'clinic' }, readOnlyKey);
    expect(narrowed.body.agent.tools).toEqual(['kb_search']);
    await api('DELETE', `/agents/${narrowed.body.agent.id}`);
    expect(await t.app.db.selectFrom('agents').select('id').where('name', '=', 'x').execute()).toEqual([]);
  });

  it('answers a practical question in a new session, quoting the knowledge base with a citation', async () => {
    const res = await api('POST', '/messages', {
      agent_id: agentId,
      content: 'What are your opening hours on Saturday?',
      sender_id: 'patient-42',
      channel: 'web',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    sessionId = res.body.session_id;
    expect(res.body).toMatchObject({ status: 'completed', escalation: null });
    expect(res.body.answer).toContain('Saturday from 9:00 to 12:00');
    expect(res.body.answer).toContain('[1]');
    expect(res.body.citations[0]).toMatchObject({ n: 1, document_name: 'faq.md', knowledge_base_id: kbId });
    expect(res.body.citations[0].location).toMatchObject({ heading_path: expect.arrayContaining(['Opening hours']) });
    // The session is a conversation: list_conversations and get_conversation see it unchanged.
    const conversation = await callOk(client, 'get_conversation', { conversation_id: sessionId });
    expect(conversation.conversation).toMatchObject({ channel: 'web', contact: 'patient-42', status: 'open' });
    expect(conversation.messages.map((m: { direction: string }) => m.direction)).toEqual(['inbound', 'outbound']);
    expect(conversation.messages[0].body).toContain('<third_party_content>');
    const created = await events('session.created');
    expect(created.map((e) => e.data)).toEqual([{ session_id: sessionId, agent_id: agentId, channel: 'web' }]);
    expect((await events('message.created')).length).toBe(1);
    expect((await events('message.completed'))[0]!.data).toMatchObject({ status: 'completed', citation_count: 1 });
  });

  it('escalates a symptom question without answering it, into the inbox with conversation.escalated', async () => {
    const res = await api('POST', '/messages', {
      agent_id: agentId,
      session_id: sessionId,
      content: "J'ai de la fièvre et mal à la gorge depuis hier, que dois-je prendre ?",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ session_id: sessionId, status: 'escalated', citations: [] });
    expect(res.body.answer).toMatch(/cannot give medical advice/);
    expect(res.body.escalation).toMatchObject({
      conversation_id: sessionId,
      status: 'open',
      priority: 'high',
      opened_by: { type: 'agent', id: agentId },
    });
    const inbox = await callOk(client, 'list_escalations', { status: 'open' });
    expect(inbox.escalations.map((e: { conversation_id: string }) => e.conversation_id)).toContain(sessionId);
    const escalated = await events('conversation.escalated');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]).toMatchObject({ actor_type: 'agent', actor_id: agentId });
    expect(escalated[0]!.data).toMatchObject({ conversation_id: sessionId, priority: 'high' });
  });

  it('escalates when the knowledge base does not have the answer, never inventing one', async () => {
    const res = await api('POST', '/messages', { agent_id: agentId, content: 'Do you accept payment in bitcoin?' });
    expect(res.body.status).toBe('escalated');
    expect(res.body.citations).toEqual([]);
    expect(res.body.answer).not.toMatch(/bitcoin/i);
    expect(res.body.escalation.reasons[0]).toMatch(/no passage/);
  });

  it('keeps an execution log: searches, rule matches, status and latency', async () => {
    const res = await api('GET', `/agents/${agentId}/executions`);
    expect(res.status).toBe(200);
    const [noAnswer, symptom, hours] = res.body.executions;
    expect(hours).toMatchObject({ kind: 'message', mode: 'offline', status: 'completed', session_id: sessionId });
    expect(hours.steps[0]).toMatchObject({ type: 'search', name: 'kb_search', status: 'ok' });
    expect(hours.input.content).toBe('What are your opening hours on Saturday?');
    expect(symptom).toMatchObject({ status: 'escalated', steps: [{ type: 'rule', name: 'medical_advice' }] });
    expect(symptom.escalation_id).toBeTruthy();
    expect(noAnswer).toMatchObject({ status: 'escalated' });
    expect(hours.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('refuses messages over 32,000 characters with payload_too_large naming the limit, storing nothing', async () => {
    const before = await t.app.db.selectFrom('messages').select('id').execute();
    const res = await api('POST', '/messages', { agent_id: agentId, content: 'a'.repeat(32_001) });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', param: 'content' });
    expect(res.body.error.message).toContain('32000');
    expect(await t.app.db.selectFrom('messages').select('id').execute()).toHaveLength(before.length);
    // Exactly the limit is accepted; the execution log keeps the start of it.
    const atLimit = await api('POST', '/messages', { agent_id: agentId, content: `opening ${'a'.repeat(31_992)}` });
    expect(atLimit.status, JSON.stringify(atLimit.body)).toBe(200);
    const log = await api('GET', `/agents/${agentId}/executions?limit=1`);
    expect(log.body.executions[0].input.content.length).toBeLessThan(4100);
  });

  it('refuses a session that already holds 1,000 messages', async () => {
    const full = await api('POST', '/messages', { agent_id: agentId, content: 'Hello' });
    await t.app.db
      .updateTable('conversations')
      .set({ message_count: 999 })
      .where('id', '=', full.body.session_id)
      .execute();
    const res = await api('POST', '/messages', { agent_id: agentId, session_id: full.body.session_id, content: 'Hi' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('at most 1000');
  });

  it('expires a session after 24 hours without activity (session_expired), closing it with session.closed', async () => {
    const fresh = await api('POST', '/messages', { agent_id: agentId, content: 'What is your address?' });
    expect(fresh.body.answer).toContain('12 rue des Lilas');
    time.advance(23 * 3600_000);
    const still = await api('POST', '/messages', {
      agent_id: agentId,
      session_id: fresh.body.session_id,
      content: 'Is there parking?',
    });
    expect(still.status, JSON.stringify(still.body)).toBe(200);
    time.advance(24 * 3600_000 + 1000);
    const expired = await api('POST', '/messages', {
      agent_id: agentId,
      session_id: fresh.body.session_id,
      content: 'And on Sundays?',
    });
    expect(expired.status).toBe(410);
    expect(expired.body.error).toMatchObject({ code: 'session_expired', param: 'session_id' });
    const closed = (await events('session.closed')).map((e) => e.data);
    expect(closed).toContainEqual({ session_id: fresh.body.session_id, agent_id: agentId, reason: 'expired' });
    const again = await api('POST', '/messages', {
      agent_id: agentId,
      session_id: fresh.body.session_id,
      content: 'Hello?',
    });
    expect(again.body.error.code).toBe('session_expired');
  });

  it('lists active sessions and closes one', async () => {
    const res = await api('POST', '/messages', { agent_id: agentId, content: 'How do I book an appointment?' });
    expect(res.body.answer).toContain('04 72 00 00 00');
    const active = await api('GET', `/sessions?agent_id=${agentId}`);
    // Sessions idle for more than 24 h (the clock moved) are not active any more.
    expect(active.body.sessions.map((s: { id: string }) => s.id)).toEqual([res.body.session_id]);
    const closed = await api('POST', '/sessions/close', { session_id: res.body.session_id });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ ok: true, session: { id: res.body.session_id, status: 'closed' } });
    expect((await api('GET', '/sessions')).body.sessions).toEqual([]);
    const after = await api('POST', '/messages', { agent_id: agentId, session_id: res.body.session_id, content: 'Hi' });
    expect(after.status).toBe(409);
  });

  it('over MCP: creates an agent, talks to it, runs it once with progress, and reads the log', async () => {
    const { agent } = await callOk(client, 'create_agent', {
      name: 'Desk (MCP)',
      vertical: 'clinic',
      knowledge_base_ids: [kbId],
      goal_template: 'When is the clinic open on {{day}}?',
    });
    const first = await callOk(client, 'send_agent_message', { agent_id: agent.id, content: 'Is parking free?' });
    expect(first).toMatchObject({ status: 'completed' });
    expect(first.answer).toContain('Free parking');
    const emergency = await callOk(client, 'send_agent_message', {
      agent_id: agent.id,
      session_id: first.session_id,
      content: 'My father has chest pain and cannot breathe',
    });
    expect(emergency.status).toBe('escalated');
    expect(emergency.answer).toMatch(/emergency number/);
    expect(emergency.escalation.priority).toBe('urgent');

    const progress: number[] = [];
    const run = (await client.callTool(
      { name: 'execute_agent', arguments: { agent_id: agent.id, input: { day: 'Saturday' } } },
      undefined,
      { onprogress: (p) => void progress.push(p.progress) },
    )) as unknown as { structuredContent: { execution: Record<string, any> } };
    const { execution } = run.structuredContent;
    expect(execution).toMatchObject({ kind: 'execute', status: 'completed', session_id: null });
    expect(execution.input.goal).toBe('When is the clinic open on Saturday?');
    expect(execution.answer).toContain('Saturday from 9:00 to 12:00');
    expect(progress.length).toBeGreaterThan(0);
    expect(await callErr(client, 'execute_agent', { agent_id: agent.id })).toMatch(/^invalid_request: .*day/);

    const log = await callOk(client, 'list_agent_executions', { agent_id: agent.id });
    expect(log.executions.map((e: { kind: string }) => e.kind)).toEqual(['execute', 'message', 'message']);
    const updated = await callOk(client, 'update_agent', { agent_id: agent.id, status: 'paused' });
    expect(updated.agent.status).toBe('paused');
    expect(await callErr(client, 'send_agent_message', { agent_id: agent.id, content: 'Hi' })).toMatch(
      /^conflict: .*paused/,
    );
  });

  it('PUT resets what it leaves out; DELETE answers {deleted, id} and keeps sessions and executions', async () => {
    const put = await api('PUT', `/agents/${agentId}`, {
      name: 'Desk',
      vertical: 'clinic',
      knowledge_base_ids: [kbId],
    });
    expect(put.status).toBe(200);
    expect(put.body.agent).toMatchObject({ name: 'Desk', goal_template: null, status: 'active' });
    const patch = await api('PATCH', `/agents/${agentId}`, { temperature: 0.2 });
    expect(patch.body.agent).toMatchObject({ name: 'Desk', temperature: expect.closeTo(0.2, 5) });
    const del = await api('DELETE', `/agents/${agentId}`);
    expect(del.body).toEqual({ deleted: true, id: agentId });
    expect((await api('GET', `/agents/${agentId}`)).status).toBe(404);
    expect((await api('POST', '/messages', { agent_id: agentId, content: 'Hi' })).status).toBe(404);
    expect((await api('GET', `/agents/${agentId}/executions`)).body.executions.length).toBeGreaterThan(3);
    expect((await callOk(client, 'get_conversation', { conversation_id: sessionId })).conversation.id).toBe(sessionId);
    expect((await events('agent.deleted')).map((e) => e.data)).toContainEqual({ agent_id: agentId, name: 'Desk' });
  });
});

describe('the monthly message quota', () => {
  it('refuses messages past the quota with quota_exceeded and the reset date, per organization', async () => {
    const time = movableClock(Date.parse('2026-12-30T10:00:00Z'));
    const t = await createTestApp(
      { agents: { monthlyMessages: 2, maxSteps: 4, maxTokensPerRun: 10_000 } },
      { clock: time.clock },
    );
    try {
      const org = await createOrg(t.app);
      const key = await addKey(t.app, org, ['*'], [await addWorkspace(t.app, org, 'main')]);
      const rival = await createOrg(t.app, 'Rival');
      const rivalKey = await addKey(t.app, rival, ['*'], [await addWorkspace(t.app, rival, 'theirs')]);
      const server = await startHttpServer(t.app, { port: 0 });
      const send = async (k: string, agentId: string) =>
        fetch(`${server.url}/api/v1/messages`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${k}`, 'content-type': 'application/json' },
          body: JSON.stringify({ agent_id: agentId, content: 'Hello' }),
        }).then(async (r) => ({ status: r.status, body: await r.json() }));
      const create = async (k: string) =>
        (
          await fetch(`${server.url}/api/v1/agents`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${k}`, 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'a' }),
          }).then((r) => r.json())
        ).agent.id as string;
      try {
        const agent = await create(key);
        expect((await send(key, agent)).status).toBe(200);
        expect((await send(key, agent)).status).toBe(200);
        const over = await send(key, agent);
        expect(over.status).toBe(429);
        expect(over.body.error.code).toBe('quota_exceeded');
        expect(over.body.error.message).toContain('2027-01-01T00:00:00.000Z');
        // Another organization has its own quota.
        expect((await send(rivalKey, await create(rivalKey))).status).toBe(200);
        // A new month starts over.
        time.advance(2 * 24 * 3600_000);
        expect((await send(key, agent)).status).toBe(200);
      } finally {
        await server.close();
      }
    } finally {
      await t.close();
    }
  });
});
