import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnthropicLlm, DEFAULT_GENERATION_MODEL } from '../../../src/adapters/llm/anthropic.js';
import { OfflineLlm } from '../../../src/adapters/llm/offline.js';
import { AppError } from '../../../src/kernel/errors.js';
import type { ChatRequest, ChatStreamEvent, Llm } from '../../../src/kernel/ports.js';
import { type FakeAnthropicServer, startFakeAnthropic } from '../../helpers/fake-anthropic.js';
import { until } from '../../helpers/wait.js';

let fake: FakeAnthropicServer;
let llm: AnthropicLlm;

beforeEach(async () => {
  fake = await startFakeAnthropic();
  fake.respond(() => ({ text: 'Quantum computers use qubits.' }));
  llm = new AnthropicLlm({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 1, timeoutMs: 2_000 });
});

afterEach(async () => {
  await fake.close();
});

const ask = (more: Partial<ChatRequest> = {}): ChatRequest => ({
  turns: [{ role: 'user', text: 'Explain quantum computing' }],
  maxTokens: 256,
  ...more,
});

async function collect(events: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const out: ChatStreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('AnthropicLlm.streamChat (the real SDK against the streaming fake)', () => {
  it('sends a streaming request and yields start, each text delta, then done with the stop reason and usage', async () => {
    const events = await collect(
      llm.streamChat(
        ask({
          system: 'Be brief.',
          temperature: 0.2,
          model: 'claude-test-1',
          turns: [
            { role: 'user', text: 'Hi' },
            { role: 'assistant', text: 'Hello!' },
            { role: 'user', text: 'Explain quantum computing' },
          ],
        }),
      ),
    );
    const sent = fake.requests[0]!.body;
    expect(sent).toEqual({
      model: 'claude-test-1',
      max_tokens: 256,
      stream: true,
      system: 'Be brief.',
      temperature: 0.2,
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'Explain quantum computing' },
      ],
    });
    expect(events[0]).toMatchObject({ type: 'start', model: 'claude-test-1' });
    const texts = events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text);
    expect(texts).toEqual(['Quantum ', 'computers ', 'use ', 'qubits.']);
    const done = events.at(-1) as Extract<ChatStreamEvent, { type: 'done' }>;
    expect(done).toMatchObject({ type: 'done', model: 'claude-test-1', stopReason: 'end_turn' });
    expect(done.usage.inputTokens).toBeGreaterThan(0);
    expect(done.usage.outputTokens).toBeGreaterThan(1);
  });

  it('uses the generation model when none is asked for, and leaves out system and temperature when unset', async () => {
    await collect(llm.streamChat(ask()));
    const sent = fake.requests[0]!.body;
    expect(sent.model).toBe(DEFAULT_GENERATION_MODEL);
    expect(sent).not.toHaveProperty('system');
    expect(sent).not.toHaveProperty('temperature');
  });

  it('aborting the signal closes the upstream connection and ends the iteration without done', async () => {
    const hold = fake.holdNextStream(2);
    const abort = new AbortController();
    const seen: ChatStreamEvent[] = [];
    const run = (async () => {
      for await (const e of llm.streamChat(ask({ signal: abort.signal }))) {
        seen.push(e);
      }
    })();
    await hold.held;
    await until('the two pieces sent to be read', () => seen.filter((e) => e.type === 'text').length === 2);
    abort.abort();
    await run;
    await hold.closed;
    expect(fake.streamsClosedEarly).toBe(1);
    expect(seen.some((e) => e.type === 'done')).toBe(false);
    expect(seen.filter((e) => e.type === 'text')).toHaveLength(2);
  });

  it('an error event mid-stream is an upstream_error', async () => {
    fake.failNextStreamAfter(1);
    const err = await collect(llm.streamChat(ask())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('upstream_error');
    expect((err as AppError).message).not.toContain(fake.apiKey);
  });

  it('a refused request (after the SDK retries) is an upstream_error naming the status', async () => {
    fake.failNext(2, 529);
    const err = (await collect(llm.streamChat(ask())).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('upstream_error');
    expect(err.details).toMatchObject({ status: 529 });
    expect(fake.requests).toHaveLength(2);
  });

  it('the offline Llm has no chat: the chat domain answers not_configured instead of inventing an answer', () => {
    const offline: Llm = new OfflineLlm();
    expect(offline.streamChat).toBeUndefined();
  });
});
