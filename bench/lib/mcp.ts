import type http from 'node:http';
import { type Endpoint, type Reply, post } from './http.js';

/** The protocol version the bench asks for; the server's answer to initialize is what is then sent. */
const PROTOCOL_VERSION = '2025-11-25';

export interface McpTarget {
  endpoint: Endpoint;
  /** Sent as `Authorization: Bearer ...` when set. */
  apiKey?: string | undefined;
}

export interface Session {
  /** Absent in stateless mode. */
  sessionId: string | undefined;
  protocolVersion: string;
}

export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
  /** Deep check of a parsed result: returns what is wrong, or undefined when it is as expected. */
  verify(result: ToolResult): string | undefined;
}

export interface ToolResult {
  isError?: boolean;
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

export class CallError extends Error {
  override name = 'CallError';
}

function headers(target: McpTarget, session: Session | undefined, body: Buffer): http.OutgoingHttpHeaders {
  const h: http.OutgoingHttpHeaders = {
    'content-type': 'application/json',
    // Streamable HTTP requires a client to accept both; the server picks JSON or an SSE stream.
    accept: 'application/json, text/event-stream',
    'content-length': body.length,
  };
  if (target.apiKey) h.authorization = `Bearer ${target.apiKey}`;
  if (session?.sessionId) h['mcp-session-id'] = session.sessionId;
  if (session) h['mcp-protocol-version'] = session.protocolVersion;
  return h;
}

const rpc = (id: number | undefined, method: string, params: unknown) =>
  Buffer.from(
    JSON.stringify(id === undefined ? { jsonrpc: '2.0', method, params } : { jsonrpc: '2.0', id, method, params }),
  );

/** The JSON-RPC message of a reply, whether the server answered with JSON or with a one-event SSE stream. */
export function rpcMessage(reply: Reply): { result?: unknown; error?: { code: number; message: string } } {
  const type = String(reply.headers['content-type'] ?? '');
  if (!type.startsWith('text/event-stream')) return JSON.parse(reply.body);
  const data = reply.body
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).trim())
    .filter(Boolean);
  if (data.length === 0) throw new CallError(`SSE reply without a data line: ${reply.body.slice(0, 200)}`);
  return JSON.parse(data[data.length - 1]!);
}

/** initialize + notifications/initialized, as a real client does once per connection. */
export async function openSession(agent: http.Agent, target: McpTarget): Promise<Session> {
  const init = rpc(0, 'initialize', {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'switchboard-bench', version: '1.0.0' },
  });
  const reply = await post(agent, target.endpoint, headers(target, undefined, init), init);
  const message = reply.status === 200 ? rpcMessage(reply) : undefined;
  const result = message?.result as { protocolVersion?: string } | undefined;
  if (!result?.protocolVersion)
    throw new CallError(`initialize failed: HTTP ${reply.status} ${reply.body.slice(0, 300)}`);
  const session: Session = {
    sessionId: reply.headers['mcp-session-id'] as string | undefined,
    protocolVersion: result.protocolVersion,
  };
  const note = rpc(undefined, 'notifications/initialized', {});
  const ack = await post(agent, target.endpoint, headers(target, session, note), note);
  if (ack.status !== 202)
    throw new CallError(`notifications/initialized: HTTP ${ack.status} ${ack.body.slice(0, 300)}`);
  return session;
}

/** What a stateless client knows without a handshake. */
export const statelessSession = (): Session => ({ sessionId: undefined, protocolVersion: PROTOCOL_VERSION });

/**
 * One worker's tools/call, built once: the same bytes and headers are sent on every iteration.
 * Every reply gets a cheap check (status, a result, no isError); one in `verifyEvery` is parsed
 * and verified in depth, so a wrong answer cannot hide while parsing stays off most of the loop.
 */
export function toolCaller(
  agent: http.Agent,
  target: McpTarget,
  session: Session,
  call: ToolCall,
  requestId: number,
  verifyEvery = 16,
): () => Promise<void> {
  const body = rpc(requestId, 'tools/call', { name: call.name, arguments: call.arguments });
  const h = headers(target, session, body);
  let n = 0;
  return async () => {
    const reply = await post(agent, target.endpoint, h, body);
    if (reply.status !== 200 || !reply.body.includes('"result":') || reply.body.includes('"isError":true')) {
      throw new CallError(`${call.name}: HTTP ${reply.status} ${reply.body.slice(0, 300)}`);
    }
    if (n++ % verifyEvery !== 0) return;
    const message = rpcMessage(reply);
    if (message.error)
      throw new CallError(`${call.name}: JSON-RPC error ${message.error.code} ${message.error.message}`);
    const problem = call.verify(message.result as ToolResult);
    if (problem) throw new CallError(`${call.name}: ${problem}`);
  };
}
