import http from 'node:http';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';

/** Raw HTTP against /mcp, for what a client that is not the SDK's sees on the wire. */

export const ACCEPT = 'application/json, text/event-stream';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

export function send(
  baseUrl: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
  path = '/mcp',
): Promise<Reply> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const initialize = (
  id: number | string = 1,
  protocolVersion = LATEST_PROTOCOL_VERSION,
  capabilities: Record<string, unknown> = {},
) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities, clientInfo: { name: 'raw', version: '1' } },
});

export const call = (
  id: number | string,
  name: string,
  args: Record<string, unknown> = {},
  meta?: Record<string, unknown>,
) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
});

/** SSE events of a text/event-stream body, as parsed JSON-RPC messages. */
export const sseMessages = (text: string) =>
  text
    .split('\n\n')
    .filter((e) => e.includes('data: {'))
    .map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)));

/** A client of one server and key: `post` a JSON-RPC body, `open` a session (initialize + initialized). */
export function wireClient(baseUrl: () => string, defaultKey: () => string) {
  const post = (body: unknown, headers: Record<string, string> = {}, key: string | null = defaultKey()) =>
    send(
      baseUrl(),
      'POST',
      {
        'content-type': 'application/json',
        accept: ACCEPT,
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...headers,
      },
      typeof body === 'string' ? body : JSON.stringify(body),
    );
  const open = async (key = defaultKey(), version = LATEST_PROTOCOL_VERSION) => {
    const res = await post(initialize(1, version), {}, key);
    expect(res.status, res.text).toBe(200);
    const session = res.headers['mcp-session-id'] as string;
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': version };
    expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, headers, key)).status).toBe(202);
    return session;
  };
  return { post, open };
}
