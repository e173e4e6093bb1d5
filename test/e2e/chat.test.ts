import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_TURN_CAP_MS } from '../../src/domains/chat/chat.model.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { type FakeAnthropicServer, startFakeAnthropic } from '../helpers/fake-anthropic.js';
import { callErr, callOk, connectHttp } from '../helpers/mcp.js';
import { until } from '../helpers/wait.js';

/**
 * The Orckai chat API end to end: the real HTTP server, the real Anthropic SDK pointed at a fake
 * that streams the Messages API's SSE, and a real HTTP client (fetch) reading the answer frame by frame.
 */
describe('chat over REST and MCP', () => {
  let claude: FakeAnthropicServer;
  let t: TestApp;
  let server: RunningServer;
  let chatKey: string;
  let readKey: string;
  let conversationsKey: string;
  let noChatKey: string;
  let mcp: Client;

  beforeAll(async () => {
    claude = await startFakeAnthropic();
    claude.respond((body) => {
      const last = body.messages[body.messages.length - 1].content as string;
      return { text: `You said: ${last}. That is all I know.` };
    });
    t = await createTestApp({
      anthropic: claude.config,
    });
    const org = await createOrg(t.app);
    const ws = await addWorkspace(t.app, org, 'main');
    chatKey = await addKey(t.app, org, ['chat:write', 'chat:read'], [ws]);
    readKey = await addKey(t.app, org, ['chat:read'], [ws]);
    conversationsKey = await addKey(t.app, org, ['conversations:read'], [ws]);
    noChatKey = await addKey(t.app, org, ['prospects:read'], [ws]);
    server = await startHttpServer(t.app, { port: 0 });
    mcp = await connectHttp(server.url, chatKey);
  });

  afterAll(async () => {
    await mcp?.close();
    await server?.close();
    await t?.close();
    await claude?.close();
  });

  const api = async (method: string, path: string, body?: unknown, key = chatKey) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };

  /** Opens POST /chat/stream and reads its body one SSE frame at a time. */
  async function openStream(body: unknown, opts: { key?: string; signal?: AbortSignal } = {}) {
    const res = await fetch(`${server.url}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.key ?? chatKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: opts.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    /** The next `data:` frame, parsed; undefined at the end of the stream. */
    const next = async (): Promise<any> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (data) return JSON.parse(data);
          continue;
        }
        const { done, value } = await reader.read();
        if (done) return undefined;
        buffer += decoder.decode(value, { stream: true });
      }
    };
    return { res, next, reader };
  }

  const messagesOf = async (conversationId: string) =>
    (await api('GET', `/conversations/${conversationId}`, undefined, readKey)).body.messages as any[];

  it('POST /chat/completions answers, stores both messages and shows them under GET /conversations', async () => {
    const res = await api('POST', '/chat/completions', {
      message: 'Summarize the latest sales report',
      system_prompt: 'You are a business analyst.',
      llm_config: { provider: 'anthropic', model: 'claude-sonnet-4-20250514', temperature: 0.7, max_tokens: 1024 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      conversation_id: expect.stringMatching(/^cnv_/),
      message_id: expect.stringMatching(/^msg_/),
      message: 'You said: Summarize the latest sales report. That is all I know.',
      model: 'claude-sonnet-4-20250514',
      stop_reason: 'end_turn',
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
    });
    expect(res.body.usage.input_tokens).toBeGreaterThan(0);
    const sent = claude.requests.at(-1)!.body;
    expect(sent).toMatchObject({
      model: 'claude-sonnet-4-20250514',
      system: 'You are a business analyst.',
      temperature: 0.7,
      max_tokens: 1024,
      stream: true,
      messages: [{ role: 'user', content: 'Summarize the latest sales report' }],
    });

    const list = await api('GET', '/conversations?channel=chat', undefined, readKey);
    expect(list.status).toBe(200);
    expect(list.body.conversations[0]).toMatchObject({
      id: res.body.conversation_id,
      channel: 'chat',
      subject: 'Summarize the latest sales report',
      message_count: 2,
    });
    const messages = await messagesOf(res.body.conversation_id);
    expect(messages.map((m) => m.direction)).toEqual(['inbound', 'outbound']);
    expect(messages[0].body).toContain('Summarize the latest sales report');
    expect(messages[1]).toMatchObject({
      id: res.body.message_id,
      body: res.body.message,
      generation: { model: 'claude-sonnet-4-20250514', status: 'complete', stop_reason: 'end_turn' },
    });
  });

  it('continues a conversation by conversation_id: the model is sent its history', async () => {
    const first = await api('POST', '/chat/completions', { message: 'My name is Ada.' });
    const second = await api('POST', '/chat/completions', {
      message: 'What is my name?',
      conversation_id: first.body.conversation_id,
    });
    expect(second.status).toBe(200);
    expect(second.body.conversation_id).toBe(first.body.conversation_id);
    expect(claude.requests.at(-1)!.body.messages).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'You said: My name is Ada.. That is all I know.' },
      { role: 'user', content: 'What is my name?' },
    ]);
    expect(await messagesOf(first.body.conversation_id)).toHaveLength(4);
  });

  it('POST /chat/stream sends the answer as SSE frames, read one at a time, then a final done frame', async () => {
    const { res, next } = await openStream({ message: 'Explain quantum computing' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames: any[] = [];
    for (let f = await next(); f; f = await next()) frames.push(f);
    const pieces = frames.slice(0, -1);
    expect(pieces.length).toBeGreaterThan(3);
    for (const p of pieces) expect(p).toEqual({ content: expect.any(String), done: false });
    expect(pieces.map((p) => p.content).join('')).toBe('You said: Explain quantum computing. That is all I know.');
    const last = frames.at(-1);
    expect(last).toMatchObject({ content: '', done: true, conversation_id: expect.stringMatching(/^cnv_/) });
    expect(last.usage.output_tokens).toBeGreaterThan(0);
    const messages = await messagesOf(last.conversation_id);
    expect(messages[1]).toMatchObject({
      body: pieces.map((p) => p.content).join(''),
      generation: { status: 'complete' },
    });
  });

  it('a client that disconnects mid-stream cancels the upstream request; the part received is stored as partial', async () => {
    claude.respond(() => ({ text: 'one two three four five six seven eight nine ten' }));
    const hold = claude.holdNextStream(3);
    const closedBefore = claude.streamsClosedEarly;
    const client = new AbortController();
    const { next } = await openStream({ message: 'Count to ten slowly' }, { signal: client.signal });
    await hold.held;
    const received = [await next(), await next(), await next()];
    expect(received.map((f) => f.content).join('')).toBe('one two three ');
    client.abort();
    await hold.closed; // the fake saw the upstream connection close before the answer ended
    expect(claude.streamsClosedEarly).toBe(closedBefore + 1);
    const conversationId = (
      await t.app.db
        .selectFrom('messages')
        .select('conversation_id')
        .where('body', '=', 'Count to ten slowly')
        .executeTakeFirstOrThrow()
    ).conversation_id;
    const messages = await until('the partial answer to be stored', async () => {
      const m = await messagesOf(conversationId);
      return m.length === 2 && m;
    });
    expect(messages[1]).toMatchObject({
      direction: 'outbound',
      body: 'one two three ',
      generation: { status: 'partial', stop_reason: 'client_disconnected' },
    });
    const events = await t.app.db
      .selectFrom('events')
      .select(['type', 'data'])
      .where('type', 'in', ['message.created', 'message.completed'])
      .orderBy('id')
      .execute();
    expect(events.at(-1)).toMatchObject({
      type: 'message.completed',
      data: { conversation_id: conversationId, status: 'partial' },
    });
    claude.respond((body) => ({ text: `You said: ${body.messages.at(-1).content}. That is all I know.` }));
  });

  it('a provider failure mid-stream ends the stream with an error frame; the part received is stored as partial', async () => {
    claude.failNextStreamAfter(2);
    const { next } = await openStream({ message: 'Tell me a story' });
    const frames: any[] = [];
    for (let f = await next(); f; f = await next()) frames.push(f);
    expect(frames.slice(0, 2).map((f) => f.done)).toEqual([false, false]);
    const last = frames.at(-1);
    expect(last).toMatchObject({ content: '', done: true, error: { code: 'upstream_error', type: 'api_error' } });
    const messages = await messagesOf(last.conversation_id);
    expect(messages[1]).toMatchObject({ generation: { status: 'partial', stop_reason: 'upstream_error' } });
    const failed = await t.app.db
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'message.failed')
      .executeTakeFirstOrThrow();
    expect(failed.data).toMatchObject({ conversation_id: last.conversation_id, code: 'upstream_error' });
  });

  it('errors before the stream begins are ordinary JSON errors: scope, input, conversation', async () => {
    const forbidden = await openStream({ message: 'hi' }, { key: readKey });
    expect(forbidden.res.status).toBe(403);
    expect(forbidden.res.headers.get('content-type')).toMatch(/json/);
    const bad = await api('POST', '/chat/stream', { message: 'hi', llm_config: { temperature: 3 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_request', param: 'llm_config.temperature' });
    const unknown = await api('POST', '/chat/stream', { message: 'hi', extra: 1 });
    expect(unknown.body.error).toMatchObject({ code: 'invalid_request', param: 'extra' });
    const missing = await api('POST', '/chat/stream', { message: 'hi', conversation_id: 'cnv_doesnotexist' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'not_found', param: 'conversation_id' });
    const replay = await fetch(`${server.url}/api/v1/chat/stream`, {
      method: 'POST',
      headers: { 'x-api-key': chatKey, 'content-type': 'application/json', 'idempotency-key': 'k1' },
      body: JSON.stringify({ message: 'hi' }),
    });
    expect(replay.status).toBe(400);
  });

  it('validates llm_config and the message with clear errors, storing nothing', async () => {
    const before = await t.app.db.selectFrom('messages').select('id').execute();
    for (const [body, param] of [
      [{ message: 'hi', llm_config: { model: 'no spaces allowed' } }, 'llm_config.model'],
      [{ message: 'hi', llm_config: { max_tokens: 100_000 } }, 'llm_config.max_tokens'],
      [{ message: 'hi', llm_config: { provider: 'openai' } }, 'llm_config.provider'],
      [{ message: 'hi', llm_config: { top_k: 3 } }, 'llm_config.top_k'],
      [{ message: '   ' }, 'message'],
      [{ message: 'x'.repeat(32_001) }, 'message'],
    ] as const) {
      const res = await api('POST', '/chat/completions', body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.param, res.body.error.message).toBe(param);
    }
    expect(await t.app.db.selectFrom('messages').select('id').execute()).toHaveLength(before.length);
  });

  it('scopes: chat:read (or conversations:read) reads chats, chat:write chats and deletes', async () => {
    const created = await api('POST', '/chat/completions', { message: 'Delete me later' });
    expect((await api('GET', '/conversations', undefined, conversationsKey)).status).toBe(200);
    expect((await api('GET', '/conversations', undefined, noChatKey)).status).toBe(403);
    expect((await api('POST', '/chat/completions', { message: 'hi' }, readKey)).status).toBe(403);
    expect((await api('DELETE', `/conversations/${created.body.conversation_id}`, undefined, readKey)).status).toBe(
      403,
    );
    const deleted = await api('DELETE', `/conversations/${created.body.conversation_id}`);
    expect(deleted).toMatchObject({ status: 200, body: { deleted: true, id: created.body.conversation_id } });
    expect((await api('GET', `/conversations/${created.body.conversation_id}`, undefined, readKey)).status).toBe(404);
    expect(
      await t.app.db
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', created.body.conversation_id)
        .execute(),
    ).toEqual([]);
    expect((await api('DELETE', `/conversations/${created.body.conversation_id}`)).status).toBe(404);
  });

  it('over MCP: the chat tool answers and continues; delete_conversation removes it', async () => {
    const first = await callOk(mcp, 'chat', { message: 'Hello over MCP' });
    expect(first.message).toBe('You said: Hello over MCP. That is all I know.');
    const second = await callOk(mcp, 'chat', { message: 'Again', conversation_id: first.conversation_id });
    expect(second.conversation_id).toBe(first.conversation_id);
    const { messages } = await callOk(mcp, 'get_conversation', { conversation_id: first.conversation_id });
    expect(messages).toHaveLength(4);
    expect(await callOk(mcp, 'delete_conversation', { conversation_id: first.conversation_id })).toEqual({
      deleted: true,
      id: first.conversation_id,
    });
    expect(await callErr(mcp, 'get_conversation', { conversation_id: first.conversation_id })).toMatch(/^not_found/);
  });

  it('turns on one conversation are one at a time: of two concurrent sends one is answered, the other gets 409 conflict', async () => {
    const first = await api('POST', '/chat/completions', { message: 'Turn one' });
    expect(first.status).toBe(200);
    const conversation_id = first.body.conversation_id;
    claude.delayNext(1, 3000); // the turn that gets in waits for its answer while the other is sent
    const [a, b] = await Promise.all([
      api('POST', '/chat/completions', { message: 'Turn A', conversation_id }),
      api('POST', '/chat/completions', { message: 'Turn B', conversation_id }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const [won, lost] = a.status === 200 ? [a, b] : [b, a];
    const winner = a.status === 200 ? 'Turn A' : 'Turn B';
    expect(lost.body.error.code).toBe('conflict');
    expect(lost.body.error.message).toMatch(/is answering message msg_\w+; send the next message once that answer/);
    expect(won.body.message).toBe(`You said: ${winner}. That is all I know.`);
    // The refused message was not stored; the history alternates, each answer after its message.
    const stored = await t.app.db
      .selectFrom('messages')
      .select(['direction', 'body'])
      .where('conversation_id', '=', conversation_id)
      .orderBy('id')
      .execute();
    expect(stored.map((m) => `${m.direction}:${m.body}`)).toEqual([
      'inbound:Turn one',
      'outbound:You said: Turn one. That is all I know.',
      `inbound:${winner}`,
      `outbound:You said: ${winner}. That is all I know.`,
    ]);
    // A failed turn ends the turn too: the next one is accepted.
    claude.failNext(1, 400, { message: 'bad request' });
    expect((await api('POST', '/chat/completions', { message: 'Turn C', conversation_id })).status).toBe(502);
    expect((await api('POST', '/chat/completions', { message: 'Turn D', conversation_id })).status).toBe(200);
    // A turn whose process died (no answer will come) blocks the conversation only until the cap.
    await t.app.db
      .updateTable('conversations')
      .set({ turn_message_id: 'msg_dead', turn_started_at: new Date(Date.now() - CHAT_TURN_CAP_MS - 1000) })
      .where('id', '=', conversation_id)
      .execute();
    expect((await api('POST', '/chat/completions', { message: 'Turn E', conversation_id })).status).toBe(200);
  });

  it('over MCP: a cancelled chat call cancels the upstream request and stores the part received as partial', async () => {
    claude.respond(() => ({ text: 'alpha beta gamma delta epsilon zeta' }));
    const hold = claude.holdNextStream(2);
    const closedBefore = claude.streamsClosedEarly;
    const controller = new AbortController();
    const call = mcp.callTool({ name: 'chat', arguments: { message: 'Cancel me over MCP' } }, undefined, {
      signal: controller.signal,
    });
    await hold.held;
    controller.abort(); // the SDK sends notifications/cancelled
    await expect(call).rejects.toThrow();
    await hold.closed; // the fake saw the upstream connection close before the answer ended
    expect(claude.streamsClosedEarly).toBe(closedBefore + 1);
    const conversationId = (
      await t.app.db
        .selectFrom('messages')
        .select('conversation_id')
        .where('body', '=', 'Cancel me over MCP')
        .executeTakeFirstOrThrow()
    ).conversation_id;
    const messages = await until('the partial answer to be stored', async () => {
      const m = await messagesOf(conversationId);
      return m.length === 2 && m;
    });
    expect(messages[1]).toMatchObject({
      direction: 'outbound',
      body: 'alpha beta ',
      generation: { status: 'partial', stop_reason: 'client_disconnected' },
    });
    claude.respond((body) => ({ text: `You said: ${body.messages.at(-1).content}. That is all I know.` }));
  });
});

describe('chat without a model', () => {
  it('answers not_configured (501) naming ANTHROPIC_API_KEY, over REST and the stream, and stores nothing', async () => {
    const t = await createTestApp();
    const server = await startHttpServer(t.app, { port: 0 });
    try {
      const org = await createOrg(t.app);
      const ws = await addWorkspace(t.app, org, 'main');
      const key = await addKey(t.app, org, ['chat:write'], [ws]);
      for (const path of ['/chat/completions', '/chat/stream']) {
        const res = await fetch(`${server.url}/api/v1${path}`, {
          method: 'POST',
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'Hello?' }),
        });
        expect(res.status).toBe(501);
        const body = await res.json();
        expect(body.error).toMatchObject({ code: 'not_configured', type: 'api_error' });
        expect(body.error.message).toContain('ANTHROPIC_API_KEY');
      }
      expect(await t.app.db.selectFrom('conversations').select('id').execute()).toEqual([]);
      expect(await t.app.db.selectFrom('messages').select('id').execute()).toEqual([]);
    } finally {
      await server.close();
      await t.close();
    }
  });
});

describe('chat streams and rate limits', () => {
  it('a stream holds its in-flight slot until it ends, not just until its headers are sent', async () => {
    const claude = await startFakeAnthropic();
    claude.respond(() => ({ text: 'one two three four' }));
    const t = await createTestApp({
      rateLimits: true,
      anthropic: claude.config,
    });
    const server = await startHttpServer(t.app, { port: 0 });
    try {
      const org = await createOrg(t.app);
      const ws = await addWorkspace(t.app, org, 'main');
      const admin = await addKey(t.app, org, ['*'], 'all');
      const key = await addKey(t.app, org, ['chat:write', 'chat:read'], [ws]);
      const call = (path: string, k: string, init: RequestInit = {}) =>
        fetch(`${server.url}/api/v1${path}`, {
          ...init,
          headers: { 'x-api-key': k, 'content-type': 'application/json' },
        });
      const set = await call('/organization/rate-limits', admin, {
        method: 'PUT',
        body: JSON.stringify({ preset: 'standard', in_flight: 1 }),
      });
      expect(set.status).toBe(200);
      const hold = claude.holdNextStream(2);
      const stream = await call('/chat/stream', key, { method: 'POST', body: JSON.stringify({ message: 'Count' }) });
      expect(stream.status).toBe(200);
      await hold.held;
      const refused = await call('/conversations', key);
      expect(refused.status).toBe(429);
      await refused.body?.cancel();
      hold.resume();
      expect(await stream.text()).toContain('"done":true');
      const allowed = await until('the slot to be given back', async () => {
        const res = await call('/conversations', key);
        await res.body?.cancel();
        return res.status === 200;
      });
      expect(allowed).toBe(true);
    } finally {
      await server.close();
      await t.close();
      await claude.close();
    }
  });
});
