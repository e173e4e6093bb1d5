import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../../app.js';
import type { ToolFilter } from '../../operations/catalog.js';
import { ToolCatalog, createMcpServer } from './server.js';

/**
 * MCP over stdin/stdout for one key. The key is checked again on every request (through the key
 * cache), so revoking it or letting it expire stops a client that is already connected. Resolves
 * when the client disconnects.
 */
export async function runStdio(app: App, apiKey: string, filter: ToolFilter): Promise<void> {
  app.registry.validateFilter(filter);
  const server = createMcpServer(app, new ToolCatalog(app), filter, async () => {
    const principal = await app.keyCache.authenticate(apiKey);
    if (!principal)
      throw new McpError(
        ErrorCode.InvalidRequest,
        'SWITCHBOARD_API_KEY has been revoked or has expired: create a new key and restart switchboard stdio with it',
      );
    return { principal };
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  await closed;
  await server.close();
}
