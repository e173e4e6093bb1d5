import type Anthropic from '@anthropic-ai/sdk';
import { AppError } from '../../kernel/errors.js';
import type { ChatRequest, ChatStreamEvent } from '../../kernel/ports.js';

/**
 * A chat answer streamed from the Messages API (`stream: true`), read event by event: message_start
 * gives the model and input tokens, text_delta pieces are yielded as they come, message_delta gives
 * the stop reason and output tokens, message_stop ends it. The caller's AbortSignal is the SDK's, so
 * aborting it (or leaving the loop) closes the upstream connection.
 */
export async function* streamAnthropicChat(
  client: Anthropic,
  defaultModel: string,
  req: ChatRequest,
  toAppError: (err: unknown) => unknown,
): AsyncGenerator<ChatStreamEvent> {
  const params: Anthropic.MessageCreateParamsStreaming = {
    model: req.model ?? defaultModel,
    max_tokens: req.maxTokens,
    messages: req.turns.map((t) => ({ role: t.role, content: t.text })),
    stream: true,
    ...(req.system ? { system: req.system } : {}),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
  };
  const aborted = () => req.signal?.aborted === true;
  let stream: AsyncIterable<Anthropic.RawMessageStreamEvent>;
  try {
    stream = await client.messages.create(params, req.signal ? { signal: req.signal } : {});
  } catch (err) {
    if (aborted()) return;
    throw toAppError(err);
  }
  let model = params.model;
  let inputTokens = 0;
  let outputTokens = 0;
  let stopReason: string | null = null;
  let finished = false;
  try {
    for await (const event of stream) {
      if (event.type === 'message_start') {
        model = event.message.model || model;
        inputTokens = event.message.usage.input_tokens;
        outputTokens = event.message.usage.output_tokens;
        yield { type: 'start', model, inputTokens };
      } else if (event.type === 'content_block_delta') {
        if (event.delta.type === 'text_delta' && event.delta.text) yield { type: 'text', text: event.delta.text };
      } else if (event.type === 'message_delta') {
        stopReason = event.delta.stop_reason;
        outputTokens = event.usage.output_tokens;
        if (typeof event.usage.input_tokens === 'number') inputTokens = event.usage.input_tokens;
      } else if (event.type === 'message_stop') {
        finished = true;
      }
    }
  } catch (err) {
    if (aborted()) return;
    throw toAppError(err);
  }
  if (!finished) {
    if (aborted()) return;
    throw new AppError('upstream_error', 'The Anthropic stream ended before the answer was complete; try again', {
      provider: 'anthropic',
    });
  }
  yield { type: 'done', model, stopReason, usage: { inputTokens, outputTokens } };
}
