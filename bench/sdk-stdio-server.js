// The stdio yardstick: a bare @modelcontextprotocol/sdk Server over StdioServerTransport with one
// `echo` tool, as the SDK's documentation writes one. No database, no auth, no logging: what any MCP
// server started by a client over stdio pays before its first answers (Node start-up, the SDK, zod).
// Plain JavaScript, so it starts as `node bench/sdk-stdio-server.js`, with no TypeScript loader.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const server = new Server({ name: 'sdk-stdio-echo', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    {
      name: 'echo',
      description: 'Echoes its input',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    },
  ],
}));
server.setRequestHandler(CallToolRequestSchema, async (request) => ({
  content: [{ type: 'text', text: String(request.params.arguments?.text ?? '') }],
}));
process.stdin.once('end', () => process.exit(0));
await server.connect(new StdioServerTransport());
