import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

// A successful tool result carries the same JSON twice: as `structuredContent` and as its text
// (`createMcpServer` sets the text to exactly `JSON.stringify(structuredContent)`). Serialising the
// object a second time costs as much as the first (about 40 µs for a page of 20 prospects), so the
// message is serialised with a placeholder there and the text already made is spliced in.
// `JSON.rawJSON` would say this directly, but it accepts only primitive values, not objects.
const PLACEHOLDER = '\u0000structured';
// Unescaped quotes around the key: this can only be an object key, never text inside a string, and
// the NUL in the value (escaped as \u0000 by JSON.stringify) is one no caller's data holds.
const KEY = '"structuredContent":';
const SLOT = `${KEY}${JSON.stringify(PLACEHOLDER)}`;

/**
 * A JSON-RPC message (or batch) as JSON, in pieces to write one after the other, with each tool
 * result's structured content written once. Pieces, not one string: joining them would copy the
 * whole answer once more on the JavaScript heap (node:http measures a joined string by flattening
 * it), where writing them as they are copies them only into the socket's buffer.
 */
export function wireJson(message: JSONRPCMessage | JSONRPCMessage[]): string[] {
  if (!Array.isArray(message)) return one(message);
  const parts = ['['];
  for (const [i, m] of message.entries()) {
    if (i) parts.push(',');
    parts.push(...one(m));
  }
  parts.push(']');
  return parts;
}

function one(message: JSONRPCMessage): string[] {
  const result =
    'result' in message
      ? (message.result as { structuredContent?: unknown; content?: { type?: string; text?: unknown }[] })
      : undefined;
  const only = result?.content?.length === 1 ? result.content[0] : undefined;
  if (typeof result?.structuredContent !== 'object' || only?.type !== 'text' || typeof only.text !== 'string')
    return [JSON.stringify(message)];
  const json = JSON.stringify({ ...message, result: { ...result, structuredContent: PLACEHOLDER } });
  const at = json.indexOf(SLOT);
  return [json.slice(0, at + KEY.length), only.text, json.slice(at + SLOT.length)];
}
