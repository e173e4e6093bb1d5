import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** A real SDK client over streamable HTTP. `query` narrows tools (`toolsets=...&read_only=1`). */
export async function connectHttp(
  baseUrl: string,
  key: string,
  query = '',
  headers: Record<string, string> = {},
): Promise<Client> {
  const client = new Client({ name: 'switchboard-test', version: '1.0.0' });
  const url = new URL(`${baseUrl}/mcp${query ? `?${query}` : ''}`);
  await client.connect(
    new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { Authorization: `Bearer ${key}`, ...headers } },
    }),
  );
  return client;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}) {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** The structured result of a call that must succeed. */
export async function callOk<T = Record<string, any>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const result = await callTool(client, name, args);
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}

/** The error text of a call that must fail. */
export async function callErr(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const result = await callTool(client, name, args);
  if (!result.isError) throw new Error(`${name} unexpectedly succeeded: ${JSON.stringify(result.structuredContent)}`);
  return (result.content[0] as { text: string }).text;
}
