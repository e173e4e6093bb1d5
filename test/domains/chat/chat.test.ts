import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { completeChat } from '../../../src/domains/chat/chat.service.js';
import { createAgent } from '../../../src/domains/agents/agents.service.js';
import { openChatTurn, runChatTurn } from '../../../src/domains/chat/index.js';
import { MAX_HISTORY_CHARS } from '../../../src/domains/chat/chat.model.js';
import { deleteConversation } from '../../../src/domains/conversations/conversations.service.js';
import { escalateToHuman } from '../../../src/domains/escalations/escalations.service.js';
import { receiveReply } from '../../../src/domains/replies/replies.service.js';
import type { RequestContext } from '../../../src/kernel/context.js';
import { AppError } from '../../../src/kernel/errors.js';
import { type TestApp, contextFor, createTestApp, twoTenants } from '../../helpers/app.js';
import { type FakeAnthropicServer, startFakeAnthropic } from '../../helpers/fake-anthropic.js';

let claude: FakeAnthropicServer;
let t: TestApp;
let ctx: RequestContext;
let otherCtx: RequestContext;

beforeAll(async () => {
  claude = await startFakeAnthropic();
  t = await createTestApp({
    anthropic: claude.config,
  });
  const tn = await twoTenants(t.app);
  ctx = await contextFor(t.app, tn.mainKey);
  otherCtx = await contextFor(t.app, tn.acmeAllKey, 'other');
});

beforeEach(() => {
  claude.respond((body) =>
    body.tool_choice?.name === 'classify_reply'
      ? {
          tool_input: {
            label: 'question',
            confidence: 0.9,
            reason: 'asks',
            hot: false,
            return_date: null,
            referral_email: null,
          },
        }
      : { text: 'An answer.' },
  );
});

afterAll(async () => {
  await t?.close();
  await claude?.close();
});

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const eventsOf = async (type: string) =>
  t.app.db.selectFrom('events').select(['data', 'actor_id']).where('type', '=', type).execute();

async function emailConversation(c: RequestContext, id: string): Promise<string> {
  const { reply } = await receiveReply(
    c,
    {
      messageId: `${id}@example.com`,
      inReplyTo: null,
      references: [],
      from: { address: `${id}@example.com`, name: null },
      to: [],
      subject: 'Question',
      text: 'Do you ship to Norway?',
      headers: {},
      contentType: null,
      receivedAt: null,
      attachmentCount: 0,
    },
    'api',
  );
  return reply.conversation_id;
}

describe('chat', () => {
  it('stores the message and the answer with their events, attributed to the key', async () => {
    const out = await completeChat(ctx, { message: 'Hello' });
    expect(out).toMatchObject({ message: 'An answer.', stop_reason: 'end_turn' });
    const created = (await eventsOf('message.created')).map((e) => e.data);
    expect(created).toContainEqual(
      expect.objectContaining({ conversation_id: out.conversation_id, channel: 'chat', direction: 'inbound' }),
    );
    const completed = (await eventsOf('message.completed')).find(
      (e) => (e.data as { message_id: string }).message_id === out.message_id,
    );
    expect(completed?.data).toMatchObject({
      status: 'completed',
      agent_id: null,
      output_tokens: out.usage.output_tokens,
    });
    expect(completed?.actor_id).toBe(ctx.actor.id);
    // Events carry ids, never the text.
    expect(JSON.stringify(completed?.data)).not.toContain('An answer.');
  });

  it('refuses to continue an email thread, a conversation of another workspace, a closed or an agent’s conversation', async () => {
    const email = await emailConversation(ctx, 'ship');
    expect(await failure(completeChat(ctx, { message: 'x', conversation_id: email }))).toMatchObject({
      code: 'conflict',
      details: { param: 'conversation_id' },
    });
    const theirs = await completeChat(otherCtx, { message: 'Other workspace' });
    expect(await failure(completeChat(ctx, { message: 'x', conversation_id: theirs.conversation_id }))).toMatchObject({
      code: 'not_found',
    });
    const mine = await completeChat(ctx, { message: 'Mine' });
    await t.app.db
      .updateTable('conversations')
      .set({ status: 'closed' })
      .where('id', '=', mine.conversation_id)
      .execute();
    expect((await failure(completeChat(ctx, { message: 'x', conversation_id: mine.conversation_id }))).code).toBe(
      'conflict',
    );
    const agent = await createAgent({ ...ctx, operations: t.app.registry }, { name: 'Support' });
    await t.app.db
      .updateTable('conversations')
      .set({ status: 'open', agent_id: agent.id })
      .where('id', '=', mine.conversation_id)
      .execute();
    expect((await failure(completeChat(ctx, { message: 'x', conversation_id: mine.conversation_id }))).message).toMatch(
      new RegExp(`agent ${agent.id}`),
    );
    expect((await failure(deleteConversation(ctx, mine.conversation_id))).code).toBe('conflict');
  });

  it('shows the model a bounded history: the newest messages within the character budget, starting with a user turn', async () => {
    const first = await completeChat(ctx, { message: 'a'.repeat(MAX_HISTORY_CHARS - 10) });
    await completeChat(ctx, { message: 'Second', conversation_id: first.conversation_id });
    const sent = claude.requests.at(-1)!.body.messages;
    // The first user message no longer fits: the answer to it is dropped too, so the history starts with a user turn.
    expect(sent).toEqual([{ role: 'user', content: 'Second' }]);
  });

  it('a provider failure keeps the message, stores no answer without text, records message.failed and throws upstream_error', async () => {
    claude.failNext(3, 500);
    const err = await failure(completeChat(ctx, { message: 'Will fail' }));
    expect(err.code).toBe('upstream_error');
    const failed = (await eventsOf('message.failed')).at(-1)!.data as Record<string, unknown>;
    expect(failed).toMatchObject({ code: 'upstream_error', partial_message_id: null });
    const messages = await t.app.db
      .selectFrom('messages')
      .select(['direction', 'body'])
      .where('id', '=', failed.message_id as string)
      .execute();
    expect(messages).toEqual([{ direction: 'inbound', body: 'Will fail' }]);
  });

  it('an aborted turn stores what was received as partial; nothing received stores nothing', async () => {
    const turn = await openChatTurn(ctx, { message: 'Abort before anything' });
    const abort = new AbortController();
    abort.abort();
    const answer = await runChatTurn(ctx, turn, { signal: abort.signal });
    expect(answer).toMatchObject({ status: 'partial', messageId: null, text: '' });
  });
});

describe('delete_conversation', () => {
  it('deletes a chat with its messages and records conversation.deleted', async () => {
    const out = await completeChat(ctx, { message: 'Forget me' });
    expect(await deleteConversation(ctx, out.conversation_id)).toEqual({ deleted: true, id: out.conversation_id });
    expect(
      await t.app.db.selectFrom('messages').select('id').where('conversation_id', '=', out.conversation_id).execute(),
    ).toEqual([]);
    expect((await eventsOf('conversation.deleted')).map((e) => e.data)).toContainEqual({
      conversation_id: out.conversation_id,
      channel: 'chat',
      message_count: 2,
    });
  });

  it('refuses an email thread and an escalated conversation; not_found in another workspace', async () => {
    const email = await emailConversation(ctx, 'keep');
    expect(await failure(deleteConversation(ctx, email))).toMatchObject({ code: 'conflict' });
    const chat = await completeChat(ctx, { message: 'Help!' });
    await escalateToHuman(ctx, { conversationId: chat.conversation_id, reason: 'needs a person' });
    expect((await failure(deleteConversation(ctx, chat.conversation_id))).message).toMatch(/escalat/);
    expect((await failure(deleteConversation(otherCtx, chat.conversation_id))).code).toBe('not_found');
    expect(
      await t.app.db.selectFrom('conversations').select('id').where('id', '=', chat.conversation_id).execute(),
    ).toHaveLength(1);
  });
});
