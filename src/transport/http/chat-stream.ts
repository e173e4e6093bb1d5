import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { App } from '../../app.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { hasScope } from '../../domains/tenancy/index.js';
import { ChatInput, openChatTurn, runChatTurn } from '../../domains/chat/index.js';
import { checkInputValues } from '../../operations/input-guard.js';
import { WorkspaceIdInput } from '../../operations/inputs.js';
import { toAppError, toHttp } from '../errors.js';
import type { HttpEnv } from './env.js';
import { REST_PREFIX, readJsonObject } from './rest.js';

export const CHAT_STREAM_PATH = '/chat/stream';
const SCOPE = 'chat:write';

/** The body of POST /chat/stream: the `chat` operation's input, with workspace_id as on every workspace route. */
const StreamInput = z.object({ workspace_id: WorkspaceIdInput }).extend(ChatInput.shape).strict();

/**
 * POST /api/v1/chat/stream: the `chat` operation's answer as Server-Sent Events. Not an operation
 * (an MCP tool answers once), so it is mounted here, behind the same authentication and rate limits
 * as every /api/v1 route, with the same scope check, input checks, workspace resolution and error
 * model. Everything that can fail before the model is asked (scope, input, workspace, conversation,
 * no model) is an ordinary JSON error with its HTTP status; once the stream has begun, an error is
 * its last frame. A client that disconnects cancels the upstream request, and the part of the
 * answer received by then is stored, marked partial.
 */
export function mountChatStream(api: Hono<HttpEnv>, app: App): void {
  const limit = bodyLimit({
    maxSize: app.config.maxBodyBytes,
    onError: () => {
      throw new AppError('payload_too_large', `The request body is larger than ${app.config.maxBodyBytes} bytes`);
    },
  });
  api.post(CHAT_STREAM_PATH, limit, async (c) => {
    const principal = c.get('principal');
    const log = c.get('log');
    const requestId = c.get('requestId');
    if (!hasScope(principal, SCOPE))
      throw new AppError(
        'forbidden',
        `POST ${REST_PREFIX}${CHAT_STREAM_PATH} needs the ${SCOPE} scope, which this API key does not have`,
      );
    if (c.req.header('idempotency-key') !== undefined)
      throw new AppError('invalid_request', 'A stream cannot be replayed: send it without an Idempotency-Key', {
        param: 'Idempotency-Key',
      });
    const body = await readJsonObject(c, false);
    checkInputValues(body);
    const { workspace_id, ...input } = StreamInput.parse(body);
    const workspace = await app.workspaceCache.resolve(app.db, principal, workspace_id);
    const ctx: RequestContext = { ...app, actor: { type: 'key', id: principal.keyId }, log, requestId, workspace };
    const turn = await openChatTurn(ctx, input);

    // From here the answer is a stream: the rate-limit slot is given back when it ends, not now.
    const release = c.get('keepAdmission')();
    const upstream = new AbortController();
    const encoder = new TextEncoder();
    let closed = false;
    const started = performance.now();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (frame: Record<string, unknown>) => {
          if (!closed) controller.enqueue(encoder.encode(`data: ${JSON.stringify(frame)}\n\n`));
        };
        const run = async () => {
          try {
            const answer = await runChatTurn(ctx, turn, {
              signal: upstream.signal,
              onText: (content) => send({ content, done: false }),
            });
            send({
              content: '',
              done: true,
              conversation_id: answer.conversationId,
              message_id: answer.messageId,
              model: answer.model,
              stop_reason: answer.stopReason,
              usage: { input_tokens: answer.usage.inputTokens, output_tokens: answer.usage.outputTokens },
            });
            log.info(
              {
                conversationId: answer.conversationId,
                status: answer.status,
                ms: Math.round(performance.now() - started),
              },
              'chat stream ended',
            );
          } catch (err) {
            const { body: error } = toHttp(toAppError(err, log, requestId));
            send({ content: '', done: true, conversation_id: turn.conversationId, ...error });
          } finally {
            if (!closed) {
              closed = true;
              controller.close();
            }
            release();
          }
        };
        void run();
      },
      cancel() {
        closed = true;
        upstream.abort();
      },
    });
    // The request's own signal fires too when the client goes away before the body is read.
    c.req.raw.signal.addEventListener('abort', () => upstream.abort(), { once: true });
    return new Response(stream, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      },
    });
  });
}

function bodySchema(): Record<string, unknown> {
  const { $schema: _, ...schema } = z.toJSONSchema(StreamInput, { io: 'input' }) as Record<string, unknown>;
  return schema;
}

/** The OpenAPI description of POST /chat/stream, beside the generated ones. */
export function chatStreamOpenApi(): Record<string, unknown> {
  const error = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  return {
    [REST_PREFIX + CHAT_STREAM_PATH]: {
      post: {
        operationId: 'chat_stream',
        summary: 'Chat with the model, streamed',
        description:
          'The chat operation (POST /chat/completions) with the answer as Server-Sent Events: `data: {"content": "...", "done": false}` ' +
          'for each piece, then `data: {"content": "", "done": true, "conversation_id", "message_id", "model", "stop_reason", "usage"}`. ' +
          'An error after the stream began is the last frame: `{"content": "", "done": true, "conversation_id", "error": {"code", "message", "type"}}`. ' +
          'Closing the connection cancels the model call; the part of the answer received is stored, marked partial. Takes no Idempotency-Key.',
        tags: ['chat'],
        'x-required-scope': SCOPE,
        'x-mcp-tool': false,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: bodySchema() } },
        },
        responses: {
          200: {
            description: 'The answer as Server-Sent Events',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          400: { description: 'invalid_request: the input is not valid; `param` names the field', ...error },
          401: { description: 'unauthorized: no API key, or one that is unknown, revoked or expired', ...error },
          403: { description: 'forbidden: the key lacks chat:write', ...error },
          404: { description: 'not_found: no such workspace or conversation', ...error },
          409: {
            description:
              'conflict: the conversation is not a chat, is closed, is an agent’s, or is still answering its previous message',
            ...error,
          },
          413: { description: 'payload_too_large: the body is larger than the server accepts', ...error },
          415: { description: 'unsupported_media_type: the body is not JSON', ...error },
          429: { description: "rate_limited: over the key's rate limit", ...error },
          501: { description: 'not_configured: the server has no model (ANTHROPIC_API_KEY)', ...error },
          default: { description: 'Any other error (internal)', ...error },
        },
      },
    },
  };
}
