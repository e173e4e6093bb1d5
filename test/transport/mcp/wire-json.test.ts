import { describe, expect, it } from 'vitest';
import { wireJson } from '../../../src/transport/mcp/wire-json.js';

describe('wireJson', () => {
  const page = {
    prospects: [
      { id: 'pro_1', note: 'says "structuredContent":"\u0000structured" in text', nested: { structuredContent: 1 } },
    ],
    next_cursor: null,
  };
  const result = (structured: unknown, text = JSON.stringify(structured)) => ({
    jsonrpc: '2.0' as const,
    id: 7,
    result: { structuredContent: structured, content: [{ type: 'text', text }] },
  });

  it('writes exactly what JSON.stringify writes, for results, batches, errors and notifications', () => {
    const messages = [
      result(page),
      result({}),
      {
        jsonrpc: '2.0' as const,
        id: 1,
        result: { content: [{ type: 'text', text: 'no structured content' }], isError: true },
      },
      { jsonrpc: '2.0' as const, id: 2, error: { code: -32600, message: 'bad' } },
      { jsonrpc: '2.0' as const, method: 'notifications/progress', params: { progress: 1 } },
    ];
    for (const m of messages) expect(JSON.parse(wireJson(m as never).join(''))).toEqual(JSON.parse(JSON.stringify(m)));
    expect(JSON.parse(wireJson(messages as never).join(''))).toEqual(JSON.parse(JSON.stringify(messages)));
  });

  it('takes the structured content from the text, which the server made from it', () => {
    const wire = JSON.parse(wireJson(result({ a: 1 }, '{"a":1}') as never).join(''));
    expect(wire.result.structuredContent).toEqual({ a: 1 });
    expect(wire.result.content[0].text).toBe('{"a":1}');
  });
});
