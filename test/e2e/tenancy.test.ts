import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateKey } from '../../src/domains/tenancy/auth.js';
import type { RequestContext } from '../../src/kernel/context.js';
import { newId } from '../../src/kernel/ids.js';
import { upsertProspect } from '../../src/domains/prospects/prospects.service.js';
import { addSuppression } from '../../src/domains/suppression/suppression.service.js';
import { addDocument } from '../../src/domains/knowledge/documents.service.js';
import { ingestDocument } from '../../src/domains/knowledge/ingest.job.js';
import { createKnowledgeBase } from '../../src/domains/knowledge/bases.service.js';
import { createDraft } from '../../src/domains/outreach/drafts.service.js';
import { createTemplate } from '../../src/domains/templates/templates.service.js';
import { receiveReply } from '../../src/domains/replies/replies.service.js';
import { escalateToHuman } from '../../src/domains/escalations/escalations.service.js';
import { rotateInboundToken, setInboundMailbox } from '../../src/domains/replies/index.js';
import { createWebhook } from '../../src/domains/webhooks/webhooks.service.js';
import { createAgent } from '../../src/domains/agents/agents.service.js';
import { sendMessage } from '../../src/domains/agents/messages.service.js';
import { completeChat } from '../../src/domains/chat/chat.service.js';
import { createBooking } from '../../src/domains/bookings/bookings.service.js';
import type { CompiledOperation } from '../../src/operations/catalog.js';
import { type RunningServer, startHttpServer } from '../../src/transport/http/server.js';
import { REST_PREFIX, pathParams } from '../../src/transport/http/rest.js';
import { type TestApp, addKey, contextFor, createTestApp, silentLog, twoTenants } from '../helpers/app.js';
import { callOk, callTool, connectHttp } from '../helpers/mcp.js';
import { type FakeAnthropicServer, startFakeAnthropic } from '../helpers/fake-anthropic.js';

/**
 * Tenant isolation through the real transports. The key under test (mainKey) has every scope but
 * only workspace `main` of Acme; `other` is Acme's too (not granted) and `theirs` belongs to Rival.
 * Whatever it asks about them must be answered exactly as if they did not exist.
 */

interface Records {
  prospectId: string;
  prospectEmail: string;
  suppressionId: string;
  suppressedEmail: string;
  knowledgeBaseId: string;
  documentId: string;
  templateId: string;
  draftId: string;
  conversationId: string;
  replyId: string;
  escalationId: string;
  webhookId: string;
  agentId: string;
  sessionId: string;
  /** A chat conversation (channel chat): what the chat tool continues. */
  chatConversationId: string;
  bookingId: string;
}

const MISSING_WORKSPACE = 'ws_doesnotexist';
const MISSING_RECORDS: Records = {
  prospectId: 'pro_doesnotexist',
  prospectEmail: 'nobody@example.com',
  suppressionId: 'sup_doesnotexist',
  suppressedEmail: 'nobody@example.com',
  knowledgeBaseId: 'kb_doesnotexist',
  documentId: 'doc_doesnotexist',
  templateId: 'tpl_doesnotexist',
  draftId: 'drf_doesnotexist',
  conversationId: 'cnv_doesnotexist',
  replyId: 'msg_doesnotexist',
  escalationId: 'esc_doesnotexist',
  webhookId: 'whk_doesnotexist',
  agentId: 'agt_doesnotexist',
  sessionId: 'cnv_nosuchsession',
  chatConversationId: 'cnv_doesnotexist',
  bookingId: 'bkg_doesnotexist',
};

/** Inputs that name a record living in one workspace. */
/** Operations that succeed only once on a record (a pending draft is approved or rejected, not both): left out of the controls. */
const STATEFUL = ['approve_draft', 'reject_draft', 'resolve_escalation', 'close_agent_session'];

const RECORD_PARAMS = [
  'prospect_id',
  'suppression_id',
  'knowledge_base_id',
  'document_id',
  'template_id',
  'draft_id',
  'conversation_id',
  'reply_id',
  'escalation_id',
  'webhook_id',
  'agent_id',
  'session_id',
  'booking_id',
] as const;

/** How to fill each required input. A new operation with an unknown required input fails loudly here. */
const FILL: Record<string, (r: Records) => unknown> = {
  prospect_id: (r) => r.prospectId,
  suppression_id: (r) => r.suppressionId,
  knowledge_base_id: (r) => r.knowledgeBaseId,
  document_id: (r) => r.documentId,
  template_id: (r) => r.templateId,
  draft_id: (r) => r.draftId,
  conversation_id: (r) => r.conversationId,
  reply_id: (r) => r.replyId,
  escalation_id: (r) => r.escalationId,
  webhook_id: (r) => r.webhookId,
  agent_id: (r) => r.agentId,
  session_id: (r) => r.sessionId,
  booking_id: (r) => r.bookingId,
  party_size: () => 2,
  starts_at: () => FUTURE,
  content: () => 'tenancy probe',
  // A public IP literal: passes the SSRF rule without DNS; no worker runs here, so nothing is sent to it.
  url: () => 'https://93.184.216.34/hook',
  from: () => 'probe@elsewhere.example',
  label: () => 'other',
  assignee: () => 'probe',
  resolution: () => 'tenancy probe',
  escalations: () => ({ notify_email: null }),
  bookings: () => ({ max_covers_per_slot: null, opening_hours: null }),
  template_key: () => 'welcome',
  outreach: () => ({ sender: { email: 'probe@sender.example' } }),
  email: (r) => r.suppressedEmail,
  reason: () => 'tenancy probe',
  name: () => 'probe.md',
  query: () => 'tenancy probe',
  // A fresh key each time: create_template succeeds on main once, and must not fail there on a taken key.
  key: () => `probe-${++probeKeys}`,
  body: () => 'Hello {{ name | "there" }}',
  message: () => 'tenancy probe',
};
/** Inputs filled differently for one tool: chat continues chat conversations, not the email thread. */
const TOOL_FILL: Record<string, Record<string, (r: Records) => unknown>> = {
  chat: { conversation_id: (r) => r.chatConversationId },
};
/** Optional inputs a call still needs to succeed (add_document wants content or content_base64). */
const OPTIONAL_FILL: Record<string, (schema: { properties?: Record<string, unknown> }) => unknown> = {
  content: () => '# Probe\n\ntenancy probe',
  // set_inbound_mailbox takes a url or fields; nothing listens there (the poll just records its error).
  // Not for the webhook tools, whose url is https (required on create_webhook, left as is on update_webhook).
  url: (schema) => ('events' in (schema.properties ?? {}) ? undefined : 'imaps://probe:probe-pass@127.0.0.1:1/INBOX'),
  variables: () => ({ prospect: { first_name: 'Probe' } }),
  failed_since: () => '2000-01-01T00:00:00Z',
};
let probeKeys = 0;
/** A booking time ahead of any run of this suite. */
const FUTURE = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString();

function argsFor(
  schema: { properties?: Record<string, unknown>; required?: string[] },
  workspaceRef: string,
  recs: Records,
  tool?: string,
): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const name of schema.required ?? []) {
    const fill = FILL[name];
    if (!fill)
      throw new Error(`tenancy.test.ts does not know how to fill the required input "${name}": add it to FILL`);
    args[name] = fill(recs);
  }
  // Record references are filled even where optional (kb_search's knowledge_base_id): they are what is probed.
  for (const name of RECORD_PARAMS) if (name in (schema.properties ?? {})) args[name] = FILL[name]!(recs);
  for (const [name, fill] of Object.entries(OPTIONAL_FILL)) {
    if (!(name in (schema.properties ?? {}))) continue;
    const value = fill(schema);
    if (value !== undefined) args[name] = value;
  }
  for (const [name, fill] of Object.entries(TOOL_FILL[tool ?? ''] ?? {})) args[name] = fill(recs);
  if ('workspace_id' in (schema.properties ?? {})) args.workspace_id = workspaceRef;
  return args;
}

const hasRecordParam = (schema: { properties?: Record<string, unknown> }) =>
  RECORD_PARAMS.some((p) => p in (schema.properties ?? {}));

/** The message with the caller-supplied reference blanked, so two not_found answers can be compared. */
const shape = (message: string, ...refs: string[]) => refs.reduce((m, ref) => m.replaceAll(ref, '<ref>'), message);

let t: TestApp;
let claude: FakeAnthropicServer;
let tn: Awaited<ReturnType<typeof twoTenants>>;
let server: RunningServer;
let client: Client;
let mainRecs: Records;
let otherRecs: Records;
let theirsRecs: Records;
/** Every value of `other` and `theirs` that must never show up in an answer to mainKey. */
let foreignValues: string[];

async function seed(ctx: RequestContext, label: string): Promise<Records> {
  const prospect = await upsertProspect(ctx, {
    email: 'shared@example.com',
    first_name: `${label}-first`,
    company: `${label}-corp`,
  });
  await upsertProspect(ctx, { email: `only-${label}@example.com` });
  const suppression = await addSuppression(ctx, { email: 'blocked@example.com', reason: `${label}-reason` });
  await addSuppression(ctx, { email: `@${label}-only.example`, reason: `${label}-domain` });
  const kb = await createKnowledgeBase(ctx, { name: `${label}-kb` });
  const doc = await addDocument(ctx, {
    knowledge_base_id: kb.id,
    name: 'probe.md',
    content: new TextEncoder().encode(`# Probe\n\ntenancy probe ${label}-secretword`),
  });
  await ingestDocument(
    t.app,
    silentLog,
    { workspace_id: ctx.workspace.id, document_id: doc.document.id },
    { attempt: 1, lastAttempt: false },
  );
  await rotateInboundToken(ctx);
  await setInboundMailbox(ctx, { url: `imaps://${label}-imapuser:${label}-imappass@${label}-imap.example/INBOX` });
  // An email template under the same key everywhere: a lookup by key must find the caller's own.
  const template = await createTemplate(ctx, {
    key: 'welcome',
    name: `${label}-template`,
    category: 'email',
    subject: 'Hello',
    body: `Hi {{ prospect.first_name }}, ${label}-tplsecret`,
  });
  const { reply } = await receiveReply(
    ctx,
    {
      messageId: `${label}-reply@example.com`,
      inReplyTo: null,
      references: [],
      from: { address: 'shared@example.com', name: null },
      to: [],
      subject: `${label}-replysubject`,
      text: `Thanks, ${label}-replysecret`,
      headers: {},
      contentType: null,
      receivedAt: null,
      attachmentCount: 0,
    },
    'api',
  );
  const { escalation } = await escalateToHuman(ctx, {
    conversationId: reply.conversation_id,
    reason: `${label}-escreason`,
  });
  const { agentId, sessionId } = await seedAgent(ctx, label, kb.id);
  const chat = await completeChat(ctx, { message: `${label}-chatsecret` });
  const booking = await createBooking(ctx, {
    conversationId: reply.conversation_id,
    name: `${label}-bookingname`,
    partySize: 4,
    startsAt: FUTURE,
    notes: `${label}-bookingsecret`,
  });
  return {
    bookingId: booking.id,
    agentId,
    sessionId,
    chatConversationId: chat.conversation_id,
    conversationId: reply.conversation_id,
    replyId: reply.id,
    escalationId: escalation.id,
    webhookId: (await createWebhook(ctx, { url: `https://93.184.216.34/${label}` })).id,
    prospectId: prospect.prospect.id,
    prospectEmail: 'shared@example.com',
    suppressionId: suppression.suppression.id,
    suppressedEmail: 'blocked@example.com',
    knowledgeBaseId: kb.id,
    documentId: doc.document.id,
    templateId: template.id,
    draftId: (await createDraft(ctx, { prospect_id: prospect.prospect.id, template_key: 'welcome', variables: {} })).id,
  };
}

/** An agent answering from the knowledge base, with one session. */
async function seedAgent(ctx: RequestContext, label: string, kbId: string) {
  const agentCtx = { ...ctx, operations: t.app.registry };
  const agent = await createAgent(agentCtx, {
    name: `${label}-agent`,
    knowledge_base_ids: [kbId],
    goal_template: 'Answer: tenancy probe',
  });
  const message = await sendMessage(agentCtx, { agent_id: agent.id, content: `tenancy probe ${label}-agentsecret` });
  return { agentId: agent.id, sessionId: message.session_id };
}

async function counts(workspaceId: string) {
  const count = async (
    table:
      | 'prospects'
      | 'suppressions'
      | 'events'
      | 'knowledge_bases'
      | 'kb_documents'
      | 'kb_chunks'
      | 'templates'
      | 'drafts'
      | 'conversations'
      | 'messages'
      | 'replies'
      | 'escalations'
      | 'inbound_hook_tokens'
      | 'inbound_mailboxes'
      | 'agents'
      | 'agent_executions'
      | 'bookings',
  ) =>
    Number(
      (
        await t.app.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', workspaceId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    prospects: await count('prospects'),
    suppressions: await count('suppressions'),
    events: await count('events'),
    knowledge_bases: await count('knowledge_bases'),
    kb_documents: await count('kb_documents'),
    kb_chunks: await count('kb_chunks'),
    templates: await count('templates'),
    drafts: await count('drafts'),
    conversations: await count('conversations'),
    messages: await count('messages'),
    replies: await count('replies'),
    escalations: await count('escalations'),
    inbound_hook_tokens: await count('inbound_hook_tokens'),
    inbound_mailboxes: await count('inbound_mailboxes'),
    agents: await count('agents'),
    agent_executions: await count('agent_executions'),
    bookings: await count('bookings'),
  };
}

const idsIn = async (table: 'prospects' | 'suppressions', workspaceId: string) =>
  (await t.app.db.selectFrom(table).select('id').where('workspace_id', '=', workspaceId).execute()).map((r) => r.id);

const keyId = async (secret: string) => (await authenticateKey(t.app.db, t.app.clock, secret))!.keyId;

async function rest(
  method: string,
  path: string,
  opts: { key?: string; query?: Record<string, unknown>; body?: unknown; headers?: Record<string, string> } = {},
) {
  const url = new URL(`${server.url}${REST_PREFIX}${path}`);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, String(v));
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${opts.key ?? tn.mainKey}`,
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}

/** The REST request for a workspace operation: path params filled, workspace_id in the query (GET, DELETE) or the body. */
function restRequest(c: CompiledOperation, workspaceRef: string, recs: Records) {
  const route = c.op.http!;
  const inPath = pathParams(route.path);
  const values = argsFor(
    c.inputJsonSchema as { properties?: Record<string, unknown>; required?: string[] },
    workspaceRef,
    recs,
    c.op.name,
  );
  let path = route.path;
  for (const p of inPath) {
    const value = values[p] ?? FILL[p]?.(recs);
    if (value === undefined) throw new Error(`tenancy.test.ts cannot fill the path parameter {${p}} of ${c.op.name}`);
    path = path.replace(`{${p}}`, encodeURIComponent(String(value)));
  }
  const rest = Object.fromEntries(Object.entries(values).filter(([k]) => !inPath.includes(k)));
  const inQuery = route.method === 'GET' || route.method === 'DELETE';
  return { method: route.method, path, query: inQuery ? rest : undefined, body: inQuery ? undefined : rest };
}

beforeAll(async () => {
  // A model for the chat tool; reply classification gets a fixed verdict from it.
  claude = await startFakeAnthropic();
  claude.respond((body) =>
    body.tool_choice?.name === 'classify_reply'
      ? {
          tool_input: {
            label: 'other',
            confidence: 0.5,
            reason: 'tenancy probe',
            hot: false,
            return_date: null,
            referral_email: null,
          },
        }
      : { text: 'tenancy probe answer' },
  );
  t = await createTestApp({
    anthropic: claude.config,
  });
  tn = await twoTenants(t.app);
  otherRecs = await seed(await contextFor(t.app, tn.acmeAllKey, 'other'), 'other');
  theirsRecs = await seed(await contextFor(t.app, tn.rivalKey, 'theirs'), 'theirs');
  const mainCtx = await contextFor(t.app, tn.mainKey);
  const mine = await upsertProspect(mainCtx, { email: 'mine@example.com', first_name: 'Mine' });
  const mineSup = await addSuppression(mainCtx, { email: 'mine-blocked@example.com', reason: 'main-reason' });
  const mineKb = await createKnowledgeBase(mainCtx, { name: 'main-kb' });
  const mineDoc = await addDocument(mainCtx, {
    knowledge_base_id: mineKb.id,
    name: 'mine.md',
    content: new TextEncoder().encode('# Mine\n\ntenancy probe main'),
  });
  await ingestDocument(
    t.app,
    silentLog,
    { workspace_id: tn.main.id, document_id: mineDoc.document.id },
    { attempt: 1, lastAttempt: false },
  );
  const mineTemplate = await createTemplate(mainCtx, {
    key: 'welcome',
    name: 'main-template',
    category: 'email',
    subject: 'Hello',
    body: 'Hi {{ prospect.first_name }}',
  });
  const mineReply = await receiveReply(
    mainCtx,
    {
      messageId: 'main-reply@example.com',
      inReplyTo: null,
      references: [],
      from: { address: 'mine@example.com', name: null },
      to: [],
      subject: 'main',
      text: 'Thanks, main',
      headers: {},
      contentType: null,
      receivedAt: null,
      attachmentCount: 0,
    },
    'api',
  );
  const mineEscalation = await escalateToHuman(mainCtx, {
    conversationId: mineReply.reply.conversation_id,
    reason: 'main',
  });
  const mineAgent = await seedAgent(mainCtx, 'main', mineKb.id);
  mainRecs = {
    ...mineAgent,
    chatConversationId: (await completeChat(mainCtx, { message: 'main chat' })).conversation_id,
    conversationId: mineReply.reply.conversation_id,
    replyId: mineReply.reply.id,
    escalationId: mineEscalation.escalation.id,
    bookingId: (
      await createBooking(mainCtx, {
        conversationId: mineReply.reply.conversation_id,
        name: 'main-booking',
        partySize: 2,
        startsAt: FUTURE,
      })
    ).id,
    webhookId: (await createWebhook(mainCtx, { url: 'https://93.184.216.34/main' })).id,
    prospectId: mine.prospect.id,
    prospectEmail: 'mine@example.com',
    suppressionId: mineSup.suppression.id,
    suppressedEmail: 'mine-blocked@example.com',
    knowledgeBaseId: mineKb.id,
    documentId: mineDoc.document.id,
    templateId: mineTemplate.id,
    draftId: (await createDraft(mainCtx, { prospect_id: mine.prospect.id, template_key: 'welcome', variables: {} })).id,
  };
  foreignValues = [
    ...[otherRecs, theirsRecs].flatMap((r) => [
      r.prospectId,
      r.suppressionId,
      r.knowledgeBaseId,
      r.documentId,
      r.templateId,
      r.draftId,
      r.conversationId,
      r.replyId,
      r.escalationId,
      r.webhookId,
      r.agentId,
      r.sessionId,
      r.chatConversationId,
      r.bookingId,
    ]),
    'other-bookingname',
    'theirs-bookingname',
    'other-bookingsecret',
    'theirs-bookingsecret',
    'other-agent',
    'theirs-agent',
    'other-agentsecret',
    'theirs-agentsecret',
    'other-chatsecret',
    'theirs-chatsecret',
    'other-replysecret',
    'theirs-replysecret',
    'other-replysubject',
    'theirs-replysubject',
    'other-escreason',
    'theirs-escreason',
    'other-secretword',
    'theirs-secretword',
    'other-kb',
    'theirs-kb',
    'other-template',
    'theirs-template',
    'other-tplsecret',
    'theirs-tplsecret',
    'other-first',
    'other-corp',
    'other-reason',
    'only-other@example.com',
    'theirs-first',
    'theirs-corp',
    'theirs-reason',
    'only-theirs@example.com',
    ...['other', 'theirs'].flatMap((label) => [`${label}-imapuser`, `${label}-imappass`, `${label}-imap.example`]),
  ];
  server = await startHttpServer(t.app, { port: 0 });
  client = await connectHttp(server.url, tn.mainKey);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await t?.close();
  await claude?.close();
});

describe('MCP: every tool, aimed at a workspace the key is not granted', () => {
  let tools: Tool[];
  /** Tools that take no workspace_id, with the test below that covers them. */
  const ORG_TOOLS: Record<string, string> = { list_workspaces: 'list_workspaces shows only main' };

  beforeAll(async () => {
    tools = (await client.listTools()).tools;
  });

  const workspaceTools = () => tools.filter((tool) => 'workspace_id' in (tool.inputSchema.properties ?? {}));

  it('knows every tool: each takes a workspace_id or is an organization tool covered on its own', () => {
    expect(workspaceTools().map((tool) => tool.name)).toEqual(
      expect.arrayContaining([
        'get_workspace_config',
        'list_prospects',
        'get_prospect',
        'upsert_prospect',
        'add_to_suppression_list',
        'check_suppression',
      ]),
    );
    for (const tool of tools.filter((x) => !workspaceTools().includes(x))) {
      expect(
        ORG_TOOLS,
        `${tool.name} takes no workspace_id: give it a tenancy test and list it in ORG_TOOLS`,
      ).toHaveProperty(tool.name);
    }
  });

  it('every tool works on main with the same arguments (so the failures below are about the workspace)', async () => {
    // Destructive tools are left out: they would remove the records the next calls use.
    for (const tool of workspaceTools().filter((x) => !x.annotations?.destructiveHint && !STATEFUL.includes(x.name))) {
      const result = await callTool(client, tool.name, argsFor(tool.inputSchema, 'main', mainRecs, tool.name));
      expect(result.isError, `${tool.name}: ${JSON.stringify(result.content)}`).toBeFalsy();
    }
  });

  const targets = [
    { label: 'other (same org, not granted) by id', ref: () => tn.other.id, recs: () => otherRecs },
    { label: 'other (same org, not granted) by slug', ref: () => 'other', recs: () => otherRecs },
    { label: 'theirs (other org) by id', ref: () => tn.theirs.id, recs: () => theirsRecs },
    { label: 'theirs (other org) by slug', ref: () => 'theirs', recs: () => theirsRecs },
  ];
  for (const target of targets) {
    it(`every workspace tool answers not_found for ${target.label}, worded like a workspace that does not exist`, async () => {
      const before = [await counts(tn.other.id), await counts(tn.theirs.id)];
      for (const tool of workspaceTools()) {
        const result = await callTool(
          client,
          tool.name,
          argsFor(tool.inputSchema, target.ref(), target.recs(), tool.name),
        );
        expect(result.isError, `${tool.name} must fail`).toBe(true);
        expect(result.structuredContent, tool.name).toBeUndefined();
        const text = (result.content[0] as { text: string }).text;
        const missing = (
          await callTool(client, tool.name, argsFor(tool.inputSchema, MISSING_WORKSPACE, target.recs(), tool.name))
        ).content[0] as { text: string };
        expect(text, tool.name).toMatch(/^not_found: /);
        expect(shape(text, target.ref()), tool.name).toBe(shape(missing.text, MISSING_WORKSPACE));
        for (const value of foreignValues) expect(text, `${tool.name} leaks ${value}`).not.toContain(value);
      }
      expect([await counts(tn.other.id), await counts(tn.theirs.id)]).toEqual(before);
    });
  }

  it('record ids of other, asked for in main, are not_found like ids that do not exist', async () => {
    const byRecord = workspaceTools().filter((tool) => hasRecordParam(tool.inputSchema));
    expect(byRecord.map((tool) => tool.name)).toEqual(expect.arrayContaining(['get_prospect', 'get_prospect_history']));
    for (const recs of [otherRecs, theirsRecs]) {
      for (const tool of byRecord) {
        const result = await callTool(client, tool.name, argsFor(tool.inputSchema, 'main', recs, tool.name));
        expect(result.isError, `${tool.name} must fail`).toBe(true);
        const text = (result.content[0] as { text: string }).text;
        const missing = (
          (await callTool(client, tool.name, argsFor(tool.inputSchema, 'main', MISSING_RECORDS, tool.name)))
            .content[0] as {
            text: string;
          }
        ).text;
        expect(text, tool.name).toMatch(/^not_found: /);
        const refs = (r: Records) => [
          r.prospectId,
          r.suppressionId,
          r.knowledgeBaseId,
          r.documentId,
          r.templateId,
          r.draftId,
          r.conversationId,
          r.replyId,
          r.escalationId,
          r.webhookId,
          r.agentId,
          r.sessionId,
          r.chatConversationId,
          r.bookingId,
        ];
        expect(shape(text, ...refs(recs)), tool.name).toBe(shape(missing, ...refs(MISSING_RECORDS)));
      }
    }
  });
});

describe('MCP: what mainKey sees in its own workspace', () => {
  it('list_workspaces shows only main', async () => {
    const { workspaces } = await callOk(client, 'list_workspaces');
    expect(workspaces.map((w: { slug: string }) => w.slug)).toEqual(['main']);
  });

  it('list_prospects returns only main rows, with or without workspace_id', async () => {
    const mainIds = await idsIn('prospects', tn.main.id);
    for (const args of [{}, { workspace_id: 'main' }, { workspace_id: tn.main.id }]) {
      const { prospects } = await callOk(client, 'list_prospects', { ...args, limit: 100 });
      const ids = prospects.map((p: { id: string }) => p.id);
      expect(ids).toContain(mainRecs.prospectId);
      expect(ids.every((id: string) => mainIds.includes(id))).toBe(true);
      expect(JSON.stringify(prospects)).not.toMatch(/other-|theirs-|only-/);
    }
  });

  it('list_prospects searching for text that exists only elsewhere finds nothing', async () => {
    const page = await callOk(client, 'list_prospects', { q: 'only-' });
    expect(page).toMatchObject({ prospects: [], has_more: false, next_cursor: null });
  });

  it('list_agents, list_agent_sessions and list_agent_executions show only main', async () => {
    const { agents } = await callOk(client, 'list_agents', { limit: 100 });
    const mainAgents = (
      await t.app.db.selectFrom('agents').select('id').where('workspace_id', '=', tn.main.id).execute()
    ).map((r) => r.id);
    expect(agents.map((a: { id: string }) => a.id)).toContain(mainRecs.agentId);
    expect(agents.every((a: { id: string }) => mainAgents.includes(a.id))).toBe(true);
    const { sessions } = await callOk(client, 'list_agent_sessions', { status: 'all', limit: 100 });
    expect(sessions.map((x: { id: string }) => x.id)).toContain(mainRecs.sessionId);
    expect(sessions.every((x: { agent_id: string }) => x.agent_id === mainRecs.agentId)).toBe(true);
    const { executions } = await callOk(client, 'list_agent_executions', { agent_id: mainRecs.agentId, limit: 100 });
    expect(executions.length).toBeGreaterThan(0);
    expect(JSON.stringify({ agents, sessions, executions })).not.toMatch(/other-|theirs-/);
  });

  it('list_suppressions returns only main entries', async () => {
    const { suppressions } = await callOk(client, 'list_suppressions', { limit: 100 });
    const mainIds = await idsIn('suppressions', tn.main.id);
    expect(suppressions.map((s: { id: string }) => s.id)).toContain(mainRecs.suppressionId);
    expect(suppressions.every((s: { id: string }) => mainIds.includes(s.id))).toBe(true);
    const blocked = await callOk(client, 'list_suppressions', { q: 'blocked' });
    expect(blocked.suppressions.map((s: { value: string }) => s.value)).toEqual(['mine-blocked@example.com']);
  });

  it('get_kpis counts only main', async () => {
    const pending = async (workspaceId?: string) => {
      let q = t.app.db.selectFrom('drafts').select('id').where('status', '=', 'pending_approval');
      if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
      return (await q.execute()).length;
    };
    const events = async (type: string) =>
      (
        await t.app.db
          .selectFrom('events')
          .select('id')
          .where('workspace_id', '=', tn.main.id)
          .where('type', '=', type)
          .execute()
      ).length;
    expect(await pending()).toBeGreaterThan(await pending(tn.main.id)); // other workspaces have drafts too
    const { kpis } = await callOk(client, 'get_kpis', {});
    expect(kpis.totals.drafts_awaiting_approval).toBe(await pending(tn.main.id));
    const escalations = await t.app.db
      .selectFrom('escalations')
      .select('id')
      .where('workspace_id', '=', tn.main.id)
      .execute();
    expect(escalations.length).toBeGreaterThan(0);
    expect(kpis.totals.escalations_opened).toBe(escalations.length); // others' escalations not counted
    expect(kpis.totals.hot_leads).toBe(await events('hot_lead.detected'));
  });

  it("check_suppression in main does not see other's entries", async () => {
    expect(await callOk(client, 'check_suppression', { email: 'blocked@example.com' })).toEqual({
      email: 'blocked@example.com',
      suppressed: false,
      matches: [],
    });
    expect((await callOk(client, 'check_suppression', { email: 'anyone@other-only.example' })).suppressed).toBe(false);
    // The control: main's own entry is seen.
    expect((await callOk(client, 'check_suppression', { email: 'mine-blocked@example.com' })).suppressed).toBe(true);
  });

  it("get_template and render_template by a key that other workspaces also use find main's template", async () => {
    const { template } = await callOk(client, 'get_template', { template_id: 'welcome' });
    expect(template).toMatchObject({ id: mainRecs.templateId, name: 'main-template' });
    const rendered = await callOk(client, 'render_template', {
      template_id: 'welcome',
      variables: { prospect: { first_name: 'Ada' } },
    });
    expect(rendered).toEqual({ subject: 'Hello', body: 'Hi Ada', variables_used: ['prospect.first_name'] });
    const { templates } = await callOk(client, 'list_templates', { limit: 100 });
    expect(templates.map((x: { id: string }) => x.id)).toContain(mainRecs.templateId);
    expect(JSON.stringify(templates)).not.toMatch(/other-|theirs-/);
  });

  it('upsert_prospect with an email that exists in other creates a separate prospect in main', async () => {
    const up = await callOk(client, 'upsert_prospect', { email: 'shared@example.com', first_name: 'Main' });
    expect(up.created).toBe(true);
    expect(up.prospect.id).not.toBe(otherRecs.prospectId);
    expect(up.prospect.id).not.toBe(theirsRecs.prospectId);
    const rows = await t.app.db
      .selectFrom('prospects')
      .select(['workspace_id', 'first_name'])
      .where('email', '=', 'shared@example.com')
      .orderBy('first_name')
      .execute();
    expect(rows).toEqual([
      { workspace_id: tn.main.id, first_name: 'Main' },
      { workspace_id: tn.other.id, first_name: 'other-first' },
      { workspace_id: tn.theirs.id, first_name: 'theirs-first' },
    ]);
    const history = await callOk(client, 'get_prospect_history', { prospect_id: up.prospect.id });
    expect(history.events.map((e: { type: string }) => e.type)).toEqual(['prospect.created']);
  });
});

describe('REST: every route, aimed at a workspace the key is not granted', () => {
  const httpOps = () => t.app.registry.operations.filter((c) => c.op.http);
  const workspaceOps = () => httpOps().filter((c) => c.op.tenancy === 'workspace');
  /** Organization-level routes (no workspace_id), each with its own test below. */
  const ORG_ROUTES = [
    'list_workspaces',
    'create_workspace',
    'create_api_key',
    'list_api_keys',
    'revoke_api_key',
    'rotate_api_key',
    'get_rate_limits',
    'set_rate_limits',
  ];

  it('knows every route: each is workspace-scoped or an organization route covered on its own', () => {
    expect(workspaceOps().map((c) => c.op.name)).toEqual(
      expect.arrayContaining(['get_workspace_config', 'get_prospect', 'upsert_prospect', 'remove_suppression']),
    );
    for (const c of httpOps().filter((x) => x.op.tenancy === 'organization')) {
      expect(
        ORG_ROUTES,
        `${c.op.name} is an organization route: give it a tenancy test and list it in ORG_ROUTES`,
      ).toContain(c.op.name);
    }
  });

  it('every non-destructive route works on main with the same request (so the failures below are about the workspace)', async () => {
    for (const c of workspaceOps().filter((x) => !x.op.annotations.destructiveHint && !STATEFUL.includes(x.op.name))) {
      const req = restRequest(c, 'main', mainRecs);
      const res = await rest(req.method, req.path, { query: req.query, body: req.body });
      expect([200, 201], `${c.op.name}: ${res.text}`).toContain(res.status);
    }
  });

  const targets = [
    { label: 'other (same org, not granted) by id', ref: () => tn.other.id, recs: () => otherRecs },
    { label: 'other (same org, not granted) by slug', ref: () => 'other', recs: () => otherRecs },
    { label: 'theirs (other org) by id', ref: () => tn.theirs.id, recs: () => theirsRecs },
    { label: 'theirs (other org) by slug', ref: () => 'theirs', recs: () => theirsRecs },
  ];
  for (const target of targets) {
    it(`every workspace route answers 404 not_found for ${target.label}, worded like a workspace that does not exist`, async () => {
      const before = [await counts(tn.other.id), await counts(tn.theirs.id)];
      for (const c of workspaceOps()) {
        const req = restRequest(c, target.ref(), target.recs());
        const res = await rest(req.method, req.path, { query: req.query, body: req.body });
        const missingReq = restRequest(c, MISSING_WORKSPACE, target.recs());
        const missing = await rest(missingReq.method, missingReq.path, {
          query: missingReq.query,
          body: missingReq.body,
        });
        expect(res.status, `${c.op.name}: ${res.text}`).toBe(404);
        expect(res.body.error, c.op.name).toMatchObject({ code: 'not_found', param: 'workspace_id' });
        expect(shape(res.body.error.message, target.ref()), c.op.name).toBe(
          shape(missing.body.error.message, MISSING_WORKSPACE),
        );
        for (const value of foreignValues) expect(res.text, `${c.op.name} leaks ${value}`).not.toContain(value);
      }
      expect([await counts(tn.other.id), await counts(tn.theirs.id)]).toEqual(before);
    });
  }

  it('record ids of other workspaces, asked for in main, are 404 like ids that do not exist', async () => {
    const byRecord = workspaceOps().filter((c) =>
      hasRecordParam(c.inputJsonSchema as { properties?: Record<string, unknown> }),
    );
    expect(byRecord.map((c) => c.op.name)).toEqual(
      expect.arrayContaining(['get_prospect', 'get_prospect_history', 'remove_suppression']),
    );
    for (const recs of [otherRecs, theirsRecs]) {
      for (const c of byRecord) {
        const req = restRequest(c, 'main', recs);
        const res = await rest(req.method, req.path, { query: req.query, body: req.body });
        const missingReq = restRequest(c, 'main', MISSING_RECORDS);
        const missing = await rest(missingReq.method, missingReq.path, {
          query: missingReq.query,
          body: missingReq.body,
        });
        expect(res.status, `${c.op.name}: ${res.text}`).toBe(404);
        expect(res.body.error.code).toBe('not_found');
        expect(res.body.error.param).toBe(missing.body.error.param);
        expect(
          shape(
            res.body.error.message,
            recs.prospectId,
            recs.suppressionId,
            recs.knowledgeBaseId,
            recs.documentId,
            recs.templateId,
            recs.draftId,
            recs.conversationId,
            recs.replyId,
            recs.escalationId,
            recs.webhookId,
            recs.agentId,
            recs.sessionId,
            recs.chatConversationId,
            recs.bookingId,
          ),
          c.op.name,
        ).toBe(
          shape(
            missing.body.error.message,
            MISSING_RECORDS.prospectId,
            MISSING_RECORDS.suppressionId,
            MISSING_RECORDS.knowledgeBaseId,
            MISSING_RECORDS.documentId,
            MISSING_RECORDS.templateId,
            MISSING_RECORDS.draftId,
            MISSING_RECORDS.conversationId,
            MISSING_RECORDS.replyId,
            MISSING_RECORDS.escalationId,
            MISSING_RECORDS.webhookId,
            MISSING_RECORDS.agentId,
            MISSING_RECORDS.sessionId,
            MISSING_RECORDS.chatConversationId,
            MISSING_RECORDS.bookingId,
          ),
        );
      }
    }
    // remove_suppression above must not have deleted anything elsewhere.
    expect(await idsIn('suppressions', tn.other.id)).toContain(otherRecs.suppressionId);
    expect(await idsIn('suppressions', tn.theirs.id)).toContain(theirsRecs.suppressionId);
    // Nor delete_template, update_template.
    for (const [ws, recs, label] of [
      [tn.other.id, otherRecs, 'other'],
      [tn.theirs.id, theirsRecs, 'theirs'],
    ] as const) {
      const row = await t.app.db
        .selectFrom('templates')
        .select(['id', 'name'])
        .where('workspace_id', '=', ws)
        .where('key', '=', 'welcome')
        .executeTakeFirst();
      expect(row).toEqual({ id: recs.templateId, name: `${label}-template` });
    }
  });

  it('POST /chat/stream (not an operation) answers 404 for workspaces and chats the key cannot reach, like missing ones, and writes nothing', async () => {
    const before = [await counts(tn.other.id), await counts(tn.theirs.id)];
    const missing = await rest('POST', '/chat/stream', { body: { workspace_id: MISSING_WORKSPACE, message: 'probe' } });
    expect(missing.status).toBe(404);
    for (const ref of [tn.other.id, 'other', tn.theirs.id, 'theirs']) {
      const res = await rest('POST', '/chat/stream', { body: { workspace_id: ref, message: 'probe' } });
      expect(res.status, ref).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'not_found', param: 'workspace_id' });
      expect(shape(res.body.error.message, ref)).toBe(shape(missing.body.error.message, MISSING_WORKSPACE));
    }
    const missingChat = await rest('POST', '/chat/stream', {
      body: { message: 'probe', conversation_id: MISSING_RECORDS.chatConversationId },
    });
    expect(missingChat.status).toBe(404);
    for (const recs of [otherRecs, theirsRecs]) {
      const res = await rest('POST', '/chat/stream', {
        body: { message: 'probe', conversation_id: recs.chatConversationId },
      });
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'not_found', param: 'conversation_id' });
      expect(shape(res.body.error.message, recs.chatConversationId)).toBe(
        shape(missingChat.body.error.message, MISSING_RECORDS.chatConversationId),
      );
      // Nothing of the conversation but the id the caller sent.
      for (const value of foreignValues.filter((v) => v !== recs.chatConversationId))
        expect(res.text).not.toContain(value);
    }
    expect([await counts(tn.other.id), await counts(tn.theirs.id)]).toEqual(before);
    // The control: main's own chat streams.
    const own = await fetch(`${server.url}${REST_PREFIX}/chat/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tn.mainKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'probe', conversation_id: mainRecs.chatConversationId }),
    });
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('"done":true');
  });

  it("GET /workspaces/main/inbound shows main's own settings: no other workspace's mailbox, no password", async () => {
    await rest('PUT', '/workspaces/main/inbound/mailbox', {
      body: { url: 'imaps://probe:probe-pass@127.0.0.1:1/INBOX' },
    });
    const res = await rest('GET', '/workspaces/main/inbound');
    expect(res.status).toBe(200);
    expect(res.body.mailbox).toMatchObject({ username: 'probe', host: '127.0.0.1' });
    expect(res.text).not.toContain('probe-pass');
    for (const value of foreignValues) expect(res.text, `leaks ${value}`).not.toContain(value);
  });

  it('GET /workspaces lists only main', async () => {
    const res = await rest('GET', '/workspaces');
    expect(res.status).toBe(200);
    expect(res.body.workspaces.map((w: { id: string }) => w.id)).toEqual([tn.main.id]);
  });

  it('GET /prospects lists only main rows', async () => {
    const res = await rest('GET', '/prospects', { query: { limit: 100 } });
    const mainIds = await idsIn('prospects', tn.main.id);
    expect(res.status).toBe(200);
    expect(res.body.prospects.length).toBeGreaterThan(0);
    expect(res.body.prospects.every((p: { id: string }) => mainIds.includes(p.id))).toBe(true);
  });

  it('POST /workspaces is forbidden to a key granted only some workspaces', async () => {
    // Not a tenancy leak but a rule: creating a workspace would widen what the organization's
    // "all workspaces" keys reach, so only such a key may do it. mainKey has scope * (so scope is
    // not the reason) but only `main`, hence 403 rather than 404.
    const res = await rest('POST', '/workspaces', { body: { name: 'Sneaky', slug: 'sneaky' } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(await t.app.db.selectFrom('workspaces').select('id').where('slug', '=', 'sneaky').execute()).toEqual([]);
  });

  it('POST /keys cannot grant a workspace the key does not reach: 404 like a missing one', async () => {
    const missing = await rest('POST', '/keys', {
      body: { name: 'probe', scopes: ['prospects:read'], workspaces: [MISSING_WORKSPACE] },
    });
    expect(missing.status).toBe(404);
    for (const ref of [tn.other.id, 'other', tn.theirs.id, 'theirs']) {
      const res = await rest('POST', '/keys', {
        body: { name: 'probe', scopes: ['prospects:read'], workspaces: ['main', ref] },
      });
      expect(res.status, ref).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      expect(shape(res.body.error.message, ref)).toBe(shape(missing.body.error.message, MISSING_WORKSPACE));
    }
    expect(await t.app.db.selectFrom('api_keys').select('id').where('name', '=', 'probe').execute()).toEqual([]);
  });

  it("GET /keys lists only keys within main: not rival's, not broader ones", async () => {
    const mainReadKey = await addKey(t.app, tn.acme, ['prospects:read'], [tn.main]);
    const otherOnlyKey = await addKey(t.app, tn.acme, ['*'], [tn.other]);
    const mainAndOtherKey = await addKey(t.app, tn.acme, ['*'], [tn.main, tn.other]);
    const res = await rest('GET', '/keys');
    expect(res.status).toBe(200);
    const ids = res.body.api_keys.map((k: { id: string }) => k.id).sort();
    expect(ids).toEqual([await keyId(tn.mainKey), await keyId(mainReadKey)].sort());
    for (const hidden of [tn.rivalKey, tn.acmeAllKey, otherOnlyKey, mainAndOtherKey])
      expect(ids).not.toContain(await keyId(hidden));
  });

  it("rate limits are the key's own organization's: mainKey cannot set them (not granted all workspaces), rival's do not reach acme", async () => {
    const refused = await rest('PUT', '/organization/rate-limits', { body: { preset: 'pro' } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    const rival = await rest('PUT', '/organization/rate-limits', { key: tn.rivalKey, body: { preset: 'free' } });
    expect(rival.status).toBe(200);
    const acme = await rest('GET', '/organization/rate-limits');
    expect(acme.body.rate_limits.preset).toBe('standard');
    expect((await rest('GET', '/organization/rate-limits', { key: tn.rivalKey })).body.rate_limits.preset).toBe('free');
    await rest('PUT', '/organization/rate-limits', { key: tn.rivalKey, body: {} });
  });

  for (const action of ['revoke', 'rotate'] as const) {
    it(`POST /keys/{id}/${action} on a key mainKey does not manage is 404 and changes nothing`, async () => {
      const otherOnlyKey = await addKey(t.app, tn.acme, ['*'], [tn.other]);
      const missing = await rest('POST', `/keys/key_doesnotexist/${action}`, { body: {} });
      expect(missing.status).toBe(404);
      for (const secret of [tn.rivalKey, tn.acmeAllKey, otherOnlyKey]) {
        const id = await keyId(secret);
        const res = await rest('POST', `/keys/${id}/${action}`, { body: {} });
        expect(res.status, id).toBe(404);
        expect(res.body.error).toMatchObject({ code: 'not_found', param: 'key_id' });
        expect(shape(res.body.error.message, id)).toBe(shape(missing.body.error.message, 'key_doesnotexist'));
        // The key still works.
        expect((await rest('GET', '/workspaces', { key: secret })).status).toBe(200);
      }
    });
  }
});

describe('idempotency keys do not cross keys or organizations', () => {
  // Workspace operations resolve (and check) the workspace before a replay, so their replays are
  // safe. Organization operations check their rules inside the handler, which a replay skips: a
  // key repeating another key's request with the same Idempotency-Key must not get its result.
  // A safe answer is the one a fresh request gets (idempotency keys scoped per API key) or a
  // conflict (the idempotency key is taken by another caller); never the stored result.
  const REPLAY_CASES = ['create_workspace', 'revoke_api_key'];

  it('every organization route that takes an Idempotency-Key has a replay case below', () => {
    const idempotentOrgOps = t.app.registry.operations.filter(
      (c) => c.op.http && c.op.tenancy === 'organization' && c.acceptsIdempotencyKey,
    );
    for (const c of idempotentOrgOps)
      expect(REPLAY_CASES, `${c.op.name} takes an Idempotency-Key: add a replay case`).toContain(c.op.name);
  });

  it('a replay of create_workspace does not hand mainKey a workspace it could not create', async () => {
    const request = { name: 'Replayed', slug: 'replayed' };
    const headers = { 'idempotency-key': 'tenancy-create-workspace-1' };
    const first = await rest('POST', '/workspaces', { key: tn.acmeAllKey, body: request, headers });
    expect(first.status).toBe(201);
    const repeat = await rest('POST', '/workspaces', { body: request, headers });
    expect(repeat.headers.get('idempotent-replayed')).toBeNull();
    expect(repeat.text).not.toContain(first.body.workspace.id);
    expect([403, 409]).toContain(repeat.status);
    expect(repeat.body.error.code).toBe(repeat.status === 403 ? 'forbidden' : 'conflict');
  });

  it('a replay of revoke_api_key does not show mainKey a key it does not manage', async () => {
    const otherOnlyId = await keyId(await addKey(t.app, tn.acme, ['*'], [tn.other]));
    const headers = { 'idempotency-key': 'tenancy-revoke-key-1' };
    const first = await rest('POST', `/keys/${otherOnlyId}/revoke`, { key: tn.acmeAllKey, body: {}, headers });
    expect(first.status).toBe(200);
    const repeat = await rest('POST', `/keys/${otherOnlyId}/revoke`, { body: {}, headers });
    expect(repeat.headers.get('idempotent-replayed')).toBeNull();
    expect(repeat.body).not.toHaveProperty('api_key');
    expect([404, 409]).toContain(repeat.status);
    expect(repeat.body.error.code).toBe(repeat.status === 404 ? 'not_found' : 'conflict');
  });

  it('the same Idempotency-Key in another organization is a different request', async () => {
    const headers = { 'idempotency-key': 'tenancy-shared-key' };
    const acme = await rest('POST', '/suppressions', {
      key: tn.acmeAllKey,
      body: { workspace_id: 'other', email: 'idem@example.com', reason: 'r' },
      headers,
    });
    const rival = await rest('POST', '/suppressions', {
      key: tn.rivalKey,
      body: { workspace_id: 'theirs', email: 'idem@example.com', reason: 'r' },
      headers,
    });
    expect([acme.status, rival.status]).toEqual([201, 201]);
    expect(rival.headers.get('idempotent-replayed')).toBeNull();
    expect(rival.body.suppression.id).not.toBe(acme.body.suppression.id);
    const rows = await t.app.db
      .selectFrom('suppressions')
      .select('workspace_id')
      .where('value', '=', 'idem@example.com')
      .orderBy('workspace_id')
      .execute();
    expect(rows.map((r) => r.workspace_id).sort()).toEqual([tn.other.id, tn.theirs.id].sort());
  });
});

describe('the database refuses cross-workspace references', () => {
  const event = (prospectId: string) => ({
    workspace_id: tn.main.id,
    id: newId('evt'),
    type: 'prospect.updated',
    prospect_id: prospectId,
    data: '{}',
    actor_type: 'system' as const,
    actor_id: 'test',
    is_test: false,
    created_at: new Date(),
  });

  it('an event in main cannot reference a prospect of other (foreign key violation)', async () => {
    await expect(t.app.db.insertInto('events').values(event(otherRecs.prospectId)).execute()).rejects.toMatchObject({
      code: '23503',
    });
    // The control: the same insert with main's own prospect is accepted.
    await expect(t.app.db.insertInto('events').values(event(mainRecs.prospectId)).execute()).resolves.toBeDefined();
  });

  it("a key cannot be granted another organization's workspace (foreign key violation)", async () => {
    const id = await keyId(tn.mainKey);
    await expect(
      t.app.db
        .insertInto('api_key_workspaces')
        .values({ organization_id: tn.acme, key_id: id, workspace_id: tn.theirs.id })
        .execute(),
    ).rejects.toMatchObject({
      code: '23503',
    });
  });
});
