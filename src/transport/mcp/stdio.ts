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

/** Without a tools/list or a tool call, the job queue starts this long after the client connected. */
const BACKGROUND_AT_THE_LATEST_MS = 2000;

/**
 * MCP over stdin/stdout for one key. The key is checked again on every request (through the key
 * cache), so revoking it or letting it expire stops a client that is already connected. Resolves
 * when the client disconnects.
 *
 * `background` (the job queue and its workers) starts once the client has its first answers: when
 * the first tools/list answer is ready, at the first tool call (which waits for it, since it may
 * enqueue jobs), or two seconds after connecting, whichever comes first. Starting it at once would
 * delay even `initialize`: on PGlite every query runs on this thread, and the queue's own set-up
 * queries held the answer back by about 400 ms (bench/README.md). Its failure rejects the returned
 * promise.
 */
export async function runStdio(
  app: App,
  apiKey: string,
  filter: ToolFilter,
  background: () => Promise<void> = async () => {},
): Promise<void> {
  app.registry.validateFilter(filter);
  let failBackground: (err: unknown) => void = () => {};
  // Fails the command at once, not only the next tool call, if the queue cannot start.
  const failed = new Promise<never>((_, reject) => (failBackground = reject));
  let ready: Promise<void> | undefined;
  const started = () =>
    (ready ??= background().catch((err: unknown) => {
      failBackground(err);
      throw err;
    }));
  let closing = false;
  // Later than the answer it follows: tools/list is sent before the queue's first query blocks the thread.
  const startSoon = () =>
    void setImmediate(() => {
      if (!closing) started().catch(() => {});
    });
  const server = createMcpServer(app, new ToolCatalog(app), filter, {
    callerOf: async () => {
      const principal = await app.keyCache.authenticate(apiKey);
      if (!principal)
        throw new McpError(
          ErrorCode.InvalidRequest,
          'SWITCHBOARD_API_KEY has been revoked or has expired: create a new key and restart switchboard stdio with it',
        );
      return { principal };
    },
    beforeCall: started,
    onListed: startSoon,
    limit: limitCalls(app),
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  const latest = setTimeout(startSoon, BACKGROUND_AT_THE_LATEST_MS);
  try {
    await Promise.race([closed, failed]);
  } finally {
    closing = true;
    clearTimeout(latest);
  }
  // Closing the database under a queue still starting would fail it: let it finish first.
  await ready?.catch(() => {});
  await server.close();
}
