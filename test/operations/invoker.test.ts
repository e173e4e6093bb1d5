import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { type TestApp, addKey, addWorkspace, createOrg, createTestApp } from '../helpers/app.js';
import { callErr, callOk, callTool, connectHttp } from '../helpers/mcp.js';

describe('tool selection and idempotency, through MCP over HTTP', () => {
  let t: TestApp;
  let server: RunningServer;
  let fullKey: string;
  let readKey: string;
  let prospectsKey: string;

  beforeAll(async () => {
    t = await createTestApp();
    const org = await createOrg(t.app);
    const ws = await addWorkspace(t.app, org, 'main');
    fullKey = await addKey(t.app, org, ['*'], [ws]);
    readKey = await addKey(t.app, org, ['prospects:read', 'suppression:read', 'workspaces:read'], [ws]);
    prospectsKey = await addKey(t.app, org, ['prospects:read', 'prospects:write'], [ws]);
    server = await startHttpServer(t.app, { port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  const toolNames = async (key: string, query = '', headers: Record<string, string> = {}) => {
    const client = await connectHttp(server.url, key, query, headers);
    const names = (await client.listTools()).tools.map((x) => x.name);
    await client.close();
    return names;
  };

  it('lists only the tools a key has scopes for', async () => {
    expect(await toolNames(prospectsKey)).toEqual([
      'list_prospects',
      'get_prospect',
      'upsert_prospect',
      'get_prospect_history',
    ]);
    const readOnly = await toolNames(readKey);
    expect(readOnly).toEqual([
      'get_workspace_config',
      'list_workspaces',
      'list_prospects',
      'get_prospect',
      'get_prospect_history',
      'check_suppression',
      'list_suppressions',
    ]);
  });

  it('narrows by toolset, tool, exclusion and read-only, from the query or from headers', async () => {
    expect(await toolNames(fullKey, 'toolsets=prospects,suppression&read_only=1')).toEqual([
      'list_prospects',
      'get_prospect',
      'get_prospect_history',
      'check_suppression',
      'list_suppressions',
    ]);
    expect(
      await toolNames(fullKey, '', {
        'X-Switchboard-Toolsets': 'suppression',
        'X-Switchboard-Exclude-Tools': 'list_suppressions',
      }),
    ).toEqual(['add_to_suppression_list', 'check_suppression']);
    expect(await toolNames(fullKey, 'tools=get_prospect,check_suppression')).toEqual([
      'get_prospect',
      'check_suppression',
    ]);
    expect(
      await toolNames(fullKey, '', { 'X-Switchboard-Read-Only': 'true', 'X-Switchboard-Toolsets': 'workspaces' }),
    ).toEqual(['get_workspace_config', 'list_workspaces']);
  });

  it('refuses unknown toolset and tool names instead of ignoring them', async () => {
    for (const [query, message] of [
      ['toolsets=prospects,propsects', /Unknown toolset\(s\): propsects/],
      ['tools=list_prospect', /Unknown tool\(s\) in tools: list_prospect/],
      ['exclude_tools=nope', /Unknown tool\(s\) in exclude_tools: nope/],
      ['read_only=maybe', /read_only must be/],
    ] as const) {
      const res = await fetch(`${server.url}/mcp?${query}`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${fullKey}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
        }),
      });
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toMatch(message);
    }
  });

  it('does not run a tool that is filtered out or beyond the key scopes', async () => {
    const reader = await connectHttp(server.url, readKey);
    await expect(reader.callTool({ name: 'upsert_prospect', arguments: { email: 'a@example.com' } })).rejects.toThrow(
      /Unknown tool: upsert_prospect/,
    );
    await reader.close();
    const narrowed = await connectHttp(server.url, fullKey, 'read_only=1');
    await expect(
      narrowed.callTool({ name: 'add_to_suppression_list', arguments: { email: 'a@example.com', reason: 'x' } }),
    ).rejects.toThrow(/Unknown tool/);
    await narrowed.close();
    const rows = await t.app.db.selectFrom('prospects').select('id').execute();
    expect(rows).toEqual([]);
  });

  it('replays a write with the same idempotency_key, and refuses the key for a different input', async () => {
    const client = await connectHttp(server.url, fullKey);
    const args = { email: 'idem@example.com', reason: 'asked', idempotency_key: 'req-1' };
    const first = await callOk(client, 'add_to_suppression_list', args);
    await t.app.db.deleteFrom('suppressions').execute();
    const replay = await callOk(client, 'add_to_suppression_list', args);
    expect(replay).toEqual(first);
    // The replay wrote nothing: the entry deleted above stays deleted.
    expect(await t.app.db.selectFrom('suppressions').select('id').execute()).toEqual([]);

    expect(await callErr(client, 'add_to_suppression_list', { ...args, reason: 'other' })).toMatch(
      /^conflict: Idempotency key "req-1" was already used/,
    );
    expect(await callErr(client, 'upsert_prospect', { email: 'idem@example.com', idempotency_key: 'req-1' })).toMatch(
      /^conflict:/,
    );
    expect(await callErr(client, 'list_prospects', { idempotency_key: 'req-2' })).toMatch(
      /^invalid_request: .*unknown field/,
    );
    await client.close();
  });

  it('runs concurrent repeats of one idempotency key once; a repeat that overlaps the first is told to retry', async () => {
    const client = await connectHttp(server.url, fullKey);
    const args = { email: 'burst@example.com', first_name: 'B', idempotency_key: 'burst-1' };
    const results = await Promise.all(Array.from({ length: 5 }, () => callTool(client, 'upsert_prospect', args)));
    const done = results.filter((r) => !r.isError).map((r) => JSON.stringify(r.structuredContent));
    const refused = results.filter((r) => r.isError).map((r) => (r.content[0] as { text: string }).text);
    expect(done.length).toBeGreaterThan(0);
    for (const text of refused) expect(text).toMatch(/^conflict: .*still in progress; this is retryable/);
    const replay = JSON.stringify(await callOk(client, 'upsert_prospect', args));
    expect(new Set([...done, replay]).size).toBe(1);
    const events = await t.app.db.selectFrom('events').select('type').where('type', '=', 'prospect.created').execute();
    expect(events).toHaveLength(1);
    await client.close();
  });

  it('keeps a failed write out of the idempotency record, so a corrected retry runs', async () => {
    const client = await connectHttp(server.url, fullKey);
    expect(
      await callErr(client, 'add_to_suppression_list', {
        email: 'not an address',
        reason: 'x',
        idempotency_key: 'fix-me',
      }),
    ).toMatch(/^invalid_request/);
    expect(await callErr(client, 'get_prospect_history', { prospect_id: 'pro_missing' })).toMatch(/^not_found/);
    expect(
      (
        await callOk(client, 'add_to_suppression_list', {
          email: 'fixed@example.com',
          reason: 'x',
          idempotency_key: 'fix-me',
        })
      ).created,
    ).toBe(true);
    await client.close();
  });
});
