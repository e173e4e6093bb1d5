import type { MessageGeneration } from '../../adapters/db/schema.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { appendEvent } from '../../kernel/outbox.js';
import type { ChatRequest, ChatTurn, ChatUsage } from '../../kernel/ports.js';
import {
  appendMessage,
  lockConversationForChat,
  recentMessages,
  sessionMessage,
  startChatConversation,
} from '../conversations/index.js';
import {
  CHAT_TURN_CAP_MS,
  type ChatInput,
  type ChatOutput,
  DEFAULT_ANSWER_TOKENS,
  MAX_HISTORY_CHARS,
  MAX_HISTORY_MESSAGES,
} from './chat.model.js';

/** A turn whose message is stored and whose request to the model is ready. */
export interface OpenedTurn {
  conversationId: string;
  /** The stored user message. */
  messageId: string;
  request: Omit<ChatRequest, 'signal'>;
}

/** How a turn ended: the stored answer (null when the model wrote nothing before it was cut). */
export interface ChatAnswer {
  conversationId: string;
  messageId: string | null;
  text: string;
  model: string;
  status: 'complete' | 'partial';
  stopReason: string | null;
  usage: ChatUsage;
}

const NO_MODEL =
  'Chat needs a language model and this server has none: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a compatible gateway) and restart it. Nothing was stored';

/** The conversation's subject: the first line of its first message, shortened. */
const subjectOf = (message: string) => {
  const line = message.trim().split(/\r?\n/, 1)[0]!.trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line || null;
};

/**
 * Checks the turn, starts or locks the conversation, stores the user's message (with its event) and
 * reads the history the model is shown, in one short transaction: nothing is held while the model
 * answers. Fails with not_configured without a model, not_found for a conversation not in this
 * workspace, conflict for one a chat may not continue, or one whose previous turn is still waiting for
 * its answer: turns on one conversation are one at a time (the turn is marked on the conversation
 * row, under its lock, until its answer or failure is stored, or CHAT_TURN_CAP_MS has passed).
 */
export async function openChatTurn(ctx: RequestContext, input: ChatInput): Promise<OpenedTurn> {
  if (!ctx.llm.streamChat) throw new AppError('not_configured', NO_MODEL);
  const now = ctx.clock.now();
  const ws = ctx.workspace.id;
  return ctx.db.transaction().execute(async (trx) => {
    let conversationId: string;
    if (input.conversation_id) {
      const c = await lockConversationForChat(trx, ws, input.conversation_id);
      const refuse = (why: string) =>
        new AppError('conflict', `Conversation ${c.id} ${why}`, { param: 'conversation_id' });
      if (c.channel !== 'chat') throw refuse(`is a ${c.channel} conversation; chat continues only chat conversations`);
      if (c.agent_id) throw refuse(`belongs to agent ${c.agent_id}; send its messages to the agent instead`);
      if (c.status === 'closed') throw refuse('is closed; start a new conversation');
      if (c.turn_started_at && now.getTime() - c.turn_started_at.getTime() < CHAT_TURN_CAP_MS) {
        throw refuse(`is answering message ${c.turn_message_id}; send the next message once that answer has arrived`);
      }
      conversationId = c.id;
    } else {
      conversationId = await startChatConversation(trx, ws, {
        contact: ctx.actor.id,
        subject: subjectOf(input.message),
        now,
      });
    }
    const stored = await appendMessage(
      trx,
      ws,
      conversationId,
      sessionMessage({ direction: 'inbound', sender: ctx.actor.id, recipient: null, body: input.message, sentAt: now }),
      now,
    );
    const messageId = stored!.id;
    await trx
      .updateTable('conversations')
      .set({ turn_message_id: messageId, turn_started_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', conversationId)
      .execute();
    await appendEvent(
      trx,
      ctx,
      'message.created',
      { message_id: messageId, conversation_id: conversationId, agent_id: null, channel: 'chat', direction: 'inbound' },
      { at: now },
    );
    // Oldest first; the model is shown the newest that fit.
    const history = (await recentMessages(trx, ws, conversationId, MAX_HISTORY_MESSAGES)).reverse();
    const config = input.llm_config ?? {};
    return {
      conversationId,
      messageId,
      request: {
        model: config.model,
        system: input.system_prompt,
        turns: turnsOf(history),
        maxTokens: config.max_tokens ?? DEFAULT_ANSWER_TOKENS,
        temperature: config.temperature,
      },
    };
  });
}

/**
 * What the model is shown, oldest first: the latest messages within MAX_HISTORY_CHARS (the newest,
 * the user's message, always), starting with a user turn, consecutive turns of one side joined.
 */
function turnsOf(newestFirst: { direction: 'inbound' | 'outbound'; body: string }[]): ChatTurn[] {
  const kept: ChatTurn[] = [];
  let chars = 0;
  for (const m of newestFirst) {
    chars += m.body.length;
    if (kept.length > 0 && chars > MAX_HISTORY_CHARS) break;
    kept.push({ role: m.direction === 'inbound' ? 'user' : 'assistant', text: m.body });
  }
  kept.reverse();
  while (kept.length > 1 && kept[0]!.role === 'assistant') kept.shift();
  const turns: ChatTurn[] = [];
  for (const t of kept) {
    const last = turns[turns.length - 1];
    if (!t.text) continue;
    if (last && last.role === t.role) last.text = `${last.text}\n\n${t.text}`;
    else turns.push({ ...t });
  }
  return turns;
}

export interface RunOptions {
  /** Aborted when the client goes away: the upstream request is cancelled and the part received stored as partial. */
  signal?: AbortSignal | undefined;
  /** Each piece of the answer as it arrives. */
  onText?: (text: string) => void;
}

/**
 * Has the model answer an opened turn and stores the answer afterwards, in its own transaction:
 * complete, or partial when the signal aborted it. A provider failure stores what was received (as
 * partial), records message.failed and rethrows the upstream_error.
 */
export async function runChatTurn(ctx: RequestContext, turn: OpenedTurn, opts: RunOptions = {}): Promise<ChatAnswer> {
  const stream = ctx.llm.streamChat;
  if (!stream) throw new AppError('not_configured', NO_MODEL);
  let text = '';
  let model = turn.request.model ?? 'unknown';
  let usage: ChatUsage = { inputTokens: 0, outputTokens: 0 };
  let done: { stopReason: string | null } | undefined;
  try {
    for await (const event of stream.call(ctx.llm, { ...turn.request, signal: opts.signal })) {
      if (event.type === 'start') {
        model = event.model;
        usage = { inputTokens: event.inputTokens, outputTokens: 0 };
      } else if (event.type === 'text') {
        text += event.text;
        opts.onText?.(event.text);
      } else {
        model = event.model;
        usage = event.usage;
        done = { stopReason: event.stopReason };
      }
    }
  } catch (err) {
    const failure = err instanceof AppError ? err : new AppError('upstream_error', 'The model failed to answer');
    const partialId = await storeAnswer(ctx, turn, text, {
      model,
      status: 'partial',
      stop_reason: 'upstream_error',
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
    }).catch(() => null);
    await ctx.db
      .transaction()
      .execute((trx) =>
        appendEvent(trx, ctx, 'message.failed', {
          message_id: turn.messageId,
          conversation_id: turn.conversationId,
          agent_id: null,
          partial_message_id: partialId,
          code: failure.code,
          reason: failure.message.slice(0, 300),
        }),
      )
      .catch((e: unknown) => ctx.log.error({ err: e }, 'could not record message.failed'));
    throw err;
  }
  const generation: MessageGeneration = {
    model,
    status: done ? 'complete' : 'partial',
    stop_reason: done ? done.stopReason : 'client_disconnected',
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
  };
  const messageId = await storeAnswer(ctx, turn, text, generation);
  return {
    conversationId: turn.conversationId,
    messageId,
    text,
    model,
    status: generation.status,
    stopReason: generation.stop_reason,
    usage,
  };
}

/**
 * Stores the model's answer and its message.completed event, and ends the turn (the conversation
 * takes the next one). A partial answer with no text stores nothing (null). A conversation deleted
 * while the model answered keeps nothing either.
 */
async function storeAnswer(
  ctx: RequestContext,
  turn: OpenedTurn,
  text: string,
  generation: MessageGeneration,
): Promise<string | null> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const ended = await trx
      .updateTable('conversations')
      .set({ turn_message_id: null, turn_started_at: null })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', turn.conversationId)
      .where('turn_message_id', '=', turn.messageId)
      .returning('id')
      .executeTakeFirst();
    const exists =
      ended ??
      (await trx
        .selectFrom('conversations')
        .select('id')
        .where('workspace_id', '=', ctx.workspace.id)
        .where('id', '=', turn.conversationId)
        .forUpdate()
        .executeTakeFirst());
    if (!exists || (generation.status === 'partial' && !text)) return null;
    const stored = await appendMessage(
      trx,
      ctx.workspace.id,
      turn.conversationId,
      sessionMessage({
        direction: 'outbound',
        sender: generation.model,
        recipient: ctx.actor.id,
        body: text,
        sentAt: now,
        generation,
      }),
      now,
    );
    await appendEvent(
      trx,
      ctx,
      'message.completed',
      {
        message_id: stored!.id,
        conversation_id: turn.conversationId,
        agent_id: null,
        in_reply_to_message_id: turn.messageId,
        model: generation.model,
        status: generation.status === 'complete' ? 'completed' : 'partial',
        stop_reason: generation.stop_reason,
        input_tokens: generation.input_tokens,
        output_tokens: generation.output_tokens,
      },
      { at: now },
    );
    return stored!.id;
  });
}

/** One chat turn answered in full (`chat`, `POST /chat/completions`). */
export async function completeChat(ctx: RequestContext, input: ChatInput): Promise<ChatOutput> {
  const turn = await openChatTurn(ctx, input);
  // An MCP cancellation (or a REST client that disconnects) stops the model; the part received is stored as partial.
  const answer = await runChatTurn(ctx, turn, { signal: ctx.signal });
  return {
    conversation_id: answer.conversationId,
    message_id: answer.messageId,
    message: answer.text,
    model: answer.model,
    stop_reason: answer.stopReason,
    usage: { input_tokens: answer.usage.inputTokens, output_tokens: answer.usage.outputTokens },
  };
}
