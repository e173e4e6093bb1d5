import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../../app.js';
import { DEFAULT_RATE_LIMITS } from '../../domains/tenancy/index.js';
import type { Principal } from '../../kernel/context.js';
import type { ToolFilter } from '../../operations/catalog.js';
import { ToolCatalog, createMcpServer } from './server.js';

/**
 * Tool calls over stdio count against the key's rate limits like HTTP requests do (the same
 * counters); one over a limit is answered as an isError result with code rate_limited and the wait.
 * tools/list is not counted: it is answered from memory and has no isError form.
 */
function limitCalls(app: App): ((principal: Principal) => Promise<() => void>) | undefined {
  const limiter = app.rateLimiter;
  if (!limiter) return undefined;
  return async (principal) =>
    (await limiter.admit(principal.keyId, principal.rateLimits ?? DEFAULT_RATE_LIMITS)).release;
}

/**
 * MCP over stdin/stdout for one key. The key is checked again on every request (through the key
 * cache), so revoking it or letting it expire stops a client that is already connected. Resolves
 * when the client disconnects.
 *
 * `background` (the job queue and its workers) starts once the transport is connected, so a client
 * gets `initialize` and `tools/list` answered without waiting for it; tool calls wait for it, since
 * they may enqueue jobs. Its failure rejects the returned promise.
 */
export async function runStdio(
  app: App,
  apiKey: string,
  filter: ToolFilter,
  background: () => Promise<void> = async () => {},
): Promise<void> {
  app.registry.validateFilter(filter);
  let ready: Promise<void> | undefined;
  const started = () => (ready ??= background());
  const server = createMcpServer(
    app,
    new ToolCatalog(app),
    filter,
    async () => {
      const principal = await app.keyCache.authenticate(apiKey);
      if (!principal)
        throw new McpError(
          ErrorCode.InvalidRequest,
          'SWITCHBOARD_API_KEY has been revoked or has expired: create a new key and restart switchboard stdio with it',
        );
      return { principal };
    },
    started,
    limitCalls(app),
  );
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  // Fails the command at once, not only the next tool call, if the queue cannot start.
  const failed = new Promise<never>((_, reject) => void started().catch(reject));
  await Promise.race([closed, failed]);
  // Closing the database under a queue still starting would fail it: let it finish first.
  await started();
  await server.close();
}
