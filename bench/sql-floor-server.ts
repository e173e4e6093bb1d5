/**
 * A floor, not a competitor: node:http and pg, answering `tools/call` with the page `list_prospects`
 * returns, built from the same SQL statement Switchboard sends (unnamed, as Kysely sends it) on the
 * same database. No MCP SDK, no authentication, no validation, no logging, the workspace looked up
 * once at start. Whatever a real server adds costs more than this; what this costs, the machine
 * (one core for the server, PostgreSQL sharing the load generator's core) spends anyway.
 *
 * Env: PORT, DATABASE_URL (both required).
 */
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const workspaceId: string = (await pool.query("select id from workspaces where slug = 'demo'")).rows[0].id;
const LIST =
  'select "id", "email", "first_name", "last_name", "company", "title", "phone", "status", "tags", "custom_fields", "created_at", "updated_at" ' +
  'from "prospects" where "workspace_id" = $1 order by "created_at" desc, "id" desc limit $2';

const answer = (res: http.ServerResponse, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

async function call(id: unknown, limit: number) {
  const { rows } = await pool.query(LIST, [workspaceId, limit + 1]);
  const prospects = rows
    .slice(0, limit)
    .map((r) => ({ ...r, created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString() }));
  const last = rows[limit - 1];
  const next_cursor =
    rows.length > limit
      ? Buffer.from(JSON.stringify({ v: [last.created_at.toISOString(), last.id] })).toString('base64url')
      : null;
  const page = { prospects, next_cursor, has_more: next_cursor !== null, truncated: false };
  return {
    jsonrpc: '2.0',
    id,
    result: { structuredContent: page, content: [{ type: 'text', text: JSON.stringify(page) }] },
  };
}

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (msg.id === undefined) return void res.writeHead(202).end();
      if (msg.method === 'initialize') {
        const result = {
          protocolVersion: msg.params.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: 'sql-floor', version: '1.0.0' },
        };
        return answer(res, { jsonrpc: '2.0', id: msg.id, result }, { 'mcp-session-id': 'floor' });
      }
      answer(res, await call(msg.id, msg.params.arguments.limit));
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write(`listening on ${process.env.PORT}\n`));
process.once('SIGTERM', () => process.exit(0));
