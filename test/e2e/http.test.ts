import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemplate } from '../../src/domains/templates/templates.service.js';
import { startWorkers } from '../../src/workers.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import {
  type TestApp,
  addKey,
  addWorkspace,
  contextFor,
  createOrg,
  createTestApp,
  testConfig,
} from '../helpers/app.js';
import { callErr, callOk, connectHttp } from '../helpers/mcp.js';

const MCP_TOOLS = [
  'get_workspace_config',
  'list_workspaces',
  'list_prospects',
  'get_prospect',
  'upsert_prospect',
  'get_prospect_history',
  'add_to_suppression_list',
  'check_suppression',
  'list_suppressions',
  'list_templates',
  'get_template',
  'render_template',
  'create_draft',
  'list_drafts',
  'get_draft',
  'update_draft',
  'reject_draft',
  'approve_draft',
  'record_reply',
  'list_replies',
  'get_reply_classification',
  'reclassify_reply',
  'list_conversations',
  'get_conversation',
  'delete_conversation',
  'chat',
  'escalate_to_human',
  'list_escalations',
  'get_escalation',
  'assign_escalation',
  'resolve_escalation',
  'create_booking',
  'list_bookings',
  'get_booking',
  'update_booking',
  'cancel_booking',
  'get_kpis',
  'create_webhook',
  'list_webhooks',
  'get_webhook',
  'update_webhook',
  'delete_webhook',
  'rotate_webhook_secret',
  'list_webhook_deliveries',
  'test_webhook',
  'redeliver_webhook',
  'list_knowledge_bases',
  'get_knowledge_base',
  'create_knowledge_base',
  'update_knowledge_base',
  'delete_knowledge_base',
  'add_document',
  'list_documents',
  'get_document',
  'delete_document',
  'kb_search',
  'list_agents',
  'get_agent',
  'create_agent',
  'update_agent',
  'delete_agent',
  'send_agent_message',
  'list_agent_sessions',
  'close_agent_session',
  'execute_agent',
  'list_agent_executions',
];

const MODES = (['native', 'sdk'] as const).flatMap((transport) =>
  [false, true].map((stateless) => ({ transport, stateless })),
);

describe.each(MODES)(
  'MCP over streamable HTTP ($transport transport, stateless: $stateless)',
  ({ transport, stateless }) => {
    let t: TestApp;
    let server: RunningServer;
    let client: Client;
    let key: string;
    let otherKey: string;

    beforeAll(async () => {
      t = await createTestApp({ mcp: { ...testConfig().mcp, transport, stateless } });
      await startWorkers(t.app);
      const org = await createOrg(t.app);
      const ws = await addWorkspace(t.app, org, 'main', true);
      key = await addKey(t.app, org, ['*'], [ws]);
      otherKey = await addKey(t.app, org, ['*'], [ws]);
      server = await startHttpServer(t.app, { port: 0 });
      client = await connectHttp(server.url, key);
    });
    afterAll(async () => {
      await client?.close();
      await server?.close();
      await t?.close();
    });

    it('lists every MCP tool in a stable order, with annotations, titles and output schemas', async () => {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(MCP_TOOLS);
      for (const tool of tools) {
        expect(tool.title).toBeTruthy();
        expect(tool.outputSchema?.type).toBe('object');
        expect(Object.keys(tool.annotations ?? {})).toEqual(
          expect.arrayContaining(['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']),
        );
      }
      expect(client.getInstructions()).toMatch(/Switchboard/);
    });

    it('calls each tool end to end', async () => {
      const config = await callOk(client, 'get_workspace_config');
      expect(config.workspace.slug).toBe('main');
      expect((await callOk(client, 'list_workspaces')).workspaces).toHaveLength(1);

      const up = await callOk(client, 'upsert_prospect', {
        email: 'Ada@Example.com',
        first_name: 'Ada',
        tags: ['vip'],
      });
      expect(up).toMatchObject({ created: true, prospect: { email: 'ada@example.com', status: 'new' } });
      const id = up.prospect.id;
      expect((await callOk(client, 'get_prospect', { prospect_id: id })).prospect.first_name).toBe('Ada');
      const list = await callOk(client, 'list_prospects', { tag: 'vip' });
      expect(list.prospects.map((p: { id: string }) => p.id)).toEqual([id]);

      const added = await callOk(client, 'add_to_suppression_list', {
        email: 'ada@example.com',
        reason: 'asked to stop',
      });
      expect(added.created).toBe(true);
      expect((await callOk(client, 'check_suppression', { email: 'ADA@example.com' })).suppressed).toBe(true);
      expect((await callOk(client, 'list_suppressions')).suppressions).toHaveLength(1);

      const history = await callOk(client, 'get_prospect_history', { prospect_id: id });
      expect(history.events.map((e: { type: string }) => e.type)).toEqual(['prospect.created', 'suppression.added']);
      expect(history.events.every((e: { is_test: boolean }) => e.is_test)).toBe(true);
    });

    it('calls each knowledge-base tool end to end', async () => {
      const { knowledge_base: kb } = await callOk(client, 'create_knowledge_base', {
        name: 'Notes',
        language: 'english',
      });
      expect(
        (await callOk(client, 'update_knowledge_base', { knowledge_base_id: kb.id, description: 'team notes' }))
          .knowledge_base.description,
      ).toBe('team notes');
      expect((await callOk(client, 'get_knowledge_base', { knowledge_base_id: kb.id })).knowledge_base.name).toBe(
        'Notes',
      );
      expect((await callOk(client, 'list_knowledge_bases')).knowledge_bases.map((k: { id: string }) => k.id)).toContain(
        kb.id,
      );
      const { document } = await callOk(client, 'add_document', {
        knowledge_base_id: kb.id,
        name: 'standup.md',
        content: '# Standup\n\nThe standup meeting starts at nine.',
        wait: true,
      });
      expect(document.status).toBe('ready');
      expect(
        (await callOk(client, 'get_document', { knowledge_base_id: kb.id, document_id: document.id })).document
          .chunk_count,
      ).toBe(1);
      expect(
        (await callOk(client, 'list_documents', { knowledge_base_id: kb.id, status: 'ready' })).documents,
      ).toHaveLength(1);
      const found = await callOk(client, 'kb_search', {
        knowledge_base_id: kb.id,
        query: 'when does the standup start',
      });
      expect(found.results[0]).toMatchObject({ document_id: document.id, location: { heading_path: ['Standup'] } });
      expect(
        (await callOk(client, 'delete_document', { knowledge_base_id: kb.id, document_id: document.id })).document.id,
      ).toBe(document.id);
      expect((await callOk(client, 'kb_search', { knowledge_base_id: kb.id, query: 'standup' })).results).toEqual([]);
      expect((await callOk(client, 'delete_knowledge_base', { knowledge_base_id: kb.id })).knowledge_base.id).toBe(
        kb.id,
      );
      expect(await callErr(client, 'get_knowledge_base', { knowledge_base_id: kb.id })).toMatch(/^not_found/);
    });

    it('calls each template tool end to end (templates are written over REST only)', async () => {
      const ctx = await contextFor(t.app, key);
      const created = await createTemplate(ctx, {
        key: 'intro',
        name: 'Intro',
        category: 'email',
        subject: 'Hi {{ first_name }}',
        body: '{{ first_name }}, meet {{ company | "us" }}.',
      });
      const list = await callOk(client, 'list_templates', { category: 'email' });
      expect(list.templates.map((x: { id: string }) => x.id)).toEqual([created.id]);
      expect((await callOk(client, 'get_template', { template_id: 'intro' })).template).toMatchObject({
        id: created.id,
        variables: ['first_name', 'company'],
      });
      expect(
        await callOk(client, 'render_template', { template_id: created.id, variables: { first_name: 'Ada' } }),
      ).toEqual({
        subject: 'Hi Ada',
        body: 'Ada, meet us.',
        variables_used: ['first_name', 'company'],
      });
      expect(await callErr(client, 'render_template', { template_id: 'intro' })).toMatch(
        /^invalid_request: Missing template variables: first_name\./,
      );
      await expect(
        client.callTool({ name: 'create_template', arguments: { key: 'x', name: 'x', body: 'x' } }),
      ).rejects.toThrow(/Unknown tool/);
    });

    it('returns the same data as JSON text and as structuredContent', async () => {
      const result = await client.callTool({ name: 'list_workspaces', arguments: {} });
      const text = (result.content as { type: string; text: string }[])[0]!.text;
      expect(JSON.parse(text)).toEqual(result.structuredContent);
    });

    it('reports bad input as an isError result that says what to fix', async () => {
      expect(await callErr(client, 'get_prospect', { prospect_id: 'pro_nope' })).toMatch(
        /^not_found: Prospect pro_nope not found/,
      );
      expect(await callErr(client, 'list_prospects', { limit: 1000 })).toMatch(/^invalid_request: .*limit/);
      expect(await callErr(client, 'list_prospects', { bogus: 1 })).toMatch(
        /^invalid_request: .*unknown field\(s\) bogus/,
      );
      expect(await callErr(client, 'upsert_prospect', { email: 'not-an-email' })).toMatch(/^invalid_request: .*email/);
    });

    it('answers malformed JSON-RPC with a JSON-RPC error, not a stack trace', async () => {
      const post = (body: string) =>
        fetch(`${server.url}/mcp`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body,
        });
      const notJson = await post('{"jsonrpc":');
      expect(notJson.status).toBe(400);
      expect((await notJson.json()).error.code).toBe(-32700);
      const notRpc = await post('{"hello":"world"}');
      expect(notRpc.status).toBe(400);
      expect(JSON.stringify(await notRpc.json())).toMatch(/"code":-32\d{3}/);
    });

    it('answers an unknown tool with a protocol error', async () => {
      await expect(client.callTool({ name: 'remove_suppression', arguments: {} })).rejects.toThrow(/Unknown tool/);
    });

    it.skipIf(stateless)(
      'binds a session to the key that opened it: another key gets 404, the owner carries on',
      async () => {
        const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
        expect(sessionId).toBeTruthy();
        const res = await fetch(`${server.url}/mcp`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${otherKey}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-session-id': sessionId,
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
        expect(res.status).toBe(404);
        expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 } });
        expect((await callOk(client, 'list_workspaces')).workspaces).toHaveLength(1);
      },
    );
  },
);
