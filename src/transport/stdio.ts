import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { App } from '../app.js';
import type { Principal } from '../core/context.js';
import type { ToolFilter } from '../tools/registry.js';
import { ToolCatalog, createMcpServer } from './mcp.js';

/** MCP over stdin/stdout for one key. Resolves when the client disconnects. */
export async function runStdio(app: App, principal: Principal, filter: ToolFilter): Promise<void> {
  app.registry.validateFilter(filter);
  const server = createMcpServer(app, new ToolCatalog(app), filter, () => ({ principal }));
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  await closed;
  await server.close();
}
