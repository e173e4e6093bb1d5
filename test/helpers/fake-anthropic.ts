import { type Server, type ServerResponse, createServer } from 'node:http';
import { listenOnLoopback, readBody } from './loopback.js';

/** A request as the fake saw it: the headers that matter and the parsed JSON body. */
export interface FakeAnthropicRequest {
  /** The key as sent: in `x-api-key` (the documented header) or as `Authorization: Bearer` (what SDK 1.x sends). */
  apiKey: string | undefined;
  authScheme: 'x-api-key' | 'bearer' | undefined;
  version: string | undefined;
  authorization: string | undefined;
  /** `x-stainless-retry-count`: 0 on a first attempt, n on the SDK's nth retry. */
  retryCount: string | undefined;
  // The wire body is JSON of MessageCreateParams; typed loosely so tests can reach into it.
  body: any;
}

/** What the scripted model says. `tool_input` answers with a tool_use block for the forced tool. */
export type FakeReply =
  | { tool_input: unknown; tool_name?: string; stop_reason?: string }
  | { text: string; stop_reason?: string }
  | { content: unknown[]; stop_reason: string };

export interface FakeAnthropicServer {
  /** Base URL for the SDK (`baseURL`): the SDK appends /v1/messages. */
  url: string;
  /** The only key the fake accepts. */
  apiKey: string;
  /** The app's `anthropic` settings that reach this fake, with the default models. */
  config: { apiKey: string; baseUrl: string; generationModel: undefined; classificationModel: undefined };
  requests: FakeAnthropicRequest[];
  /** Script the model: called with each accepted request body. */
  respond(fn: (body: any) => FakeReply): void;
  /** The next `n` requests get this status with Anthropic's error JSON; `retryAfterMs` sets `retry-after-ms`, `message` the error message. */
  failNext(n: number, status: number, opts?: { retryAfterMs?: number; message?: string }): void;
  /** The next `n` requests are answered only after `ms` (beyond a client timeout: never, as far as it knows). */
  delayNext(n: number, ms: number): void;
  // ---- streaming (`stream: true`), see "Streaming" below ----
  /**
   * The next streamed answer stops after `afterDeltas` text deltas and waits. `held` resolves when
   * it has sent them; `closed` when the client closed the connection before the answer ended (what
   * a cancelled upstream request looks like from here); `resume()` sends the rest.
   */
  holdNextStream(afterDeltas: number): StreamHold;
  /** The next streamed answer sends `afterDeltas` text deltas, then an `error` event (`overloaded_error` by default). */
  failNextStreamAfter(afterDeltas: number, errorType?: string): void;
  /** Streamed answers whose connection the client closed before message_stop. */
  readonly streamsClosedEarly: number;
  close(): Promise<void>;
}

export interface StreamHold {
  held: Promise<void>;
  closed: Promise<void>;
  resume(): void;
}

// The API's error types by status (https://docs.claude.com/en/api/errors).
const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

let counter = 0;
const fakeId = (prefix: string) => `${prefix}_fake${String(++counter).padStart(8, '0')}`;

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  const requestId = fakeId('req');
  res
    .writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...headers })
    .end(JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId }));
}

/** Why the real API would refuse this body with a 400, or undefined. Only what our adapter could get wrong. */
function invalidBody(body: any): string | undefined {
  if (typeof body?.model !== 'string' || !body.model) return 'model: Field required';
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  const choice = body.tool_choice;
  if (choice?.type === 'tool' && !(body.tools ?? []).some((t: { name?: string }) => t.name === choice.name)) {
    return `tool_choice: tool '${choice.name}' not found in tools`;
  }
  return undefined;
}

function toMessage(body: any, reply: FakeReply, inputChars: number) {
  let content: unknown[];
  let stopReason: string;
  if ('content' in reply) {
    content = reply.content;
    stopReason = reply.stop_reason;
  } else if ('text' in reply) {
    content = [{ type: 'text', text: reply.text }];
    stopReason = reply.stop_reason ?? 'end_turn';
  } else {
    const name = reply.tool_name ?? body.tool_choice?.name ?? body.tools?.[0]?.name;
    content = [{ type: 'tool_use', id: fakeId('toolu'), name, input: reply.tool_input, caller: { type: 'direct' } }];
    stopReason = reply.stop_reason ?? 'tool_use';
  }
  return {
    id: fakeId('msg'),
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: {
      input_tokens: Math.ceil(inputChars / 4),
      output_tokens: Math.ceil(JSON.stringify(content).length / 4),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      service_tier: 'standard',
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Streaming: `stream: true` answers as Server-Sent Events, in the order and shapes the API sends
// them (https://docs.claude.com/en/docs/build-with-claude/streaming): message_start,
// then per content block content_block_start, content_block_delta (text_delta or
// input_json_delta)..., content_block_stop, then message_delta (stop_reason, usage) and message_stop;
// a ping after the first block starts, and an `error` event for a failure mid-stream.

interface StreamControl {
  hold?: { afterDeltas: number; onHeld: () => void; onClosed: () => void; resumed: Promise<void> };
  failAfter?: { afterDeltas: number; errorType: string };
  onClosedEarly: () => void;
}

/** Splits text the way a model streams it: a word (with its following space) at a time. */
const pieces = (text: string): string[] => text.match(/\S+\s*|\s+/g) ?? [];

async function sendStream(res: ServerResponse, message: ReturnType<typeof toMessage>, control: StreamControl) {
  let finished = false;
  res.on('close', () => {
    if (!finished) control.onClosedEarly();
  });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': fakeId('req'),
  });
  const send = (event: string, data: unknown) => {
    if (!res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const { content, stop_reason, stop_sequence, usage, ...rest } = message;
  send('message_start', {
    type: 'message_start',
    message: { ...rest, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
  });
  let deltas = 0;
  /** Before each text delta: hold or fail when the test asked for it. false: stop sending. */
  const gate = async (): Promise<boolean> => {
    if (control.failAfter && deltas === control.failAfter.afterDeltas) {
      send('error', { type: 'error', error: { type: control.failAfter.errorType, message: 'Overloaded' } });
      finished = true;
      res.end();
      return false;
    }
    if (control.hold && deltas === control.hold.afterDeltas) {
      control.hold.onHeld();
      await Promise.race([control.hold.resumed, new Promise<void>((resolve) => res.once('close', () => resolve()))]);
      if (res.destroyed) return false;
    }
    return true;
  };
  for (const [index, block] of (content as any[]).entries()) {
    if (block.type === 'text') {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      if (index === 0) send('ping', { type: 'ping' });
      for (const text of pieces(block.text)) {
        if (!(await gate())) return;
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
        deltas++;
      }
    } else if (block.type === 'tool_use') {
      const { input, ...start } = block;
      send('content_block_start', { type: 'content_block_start', index, content_block: { ...start, input: {} } });
      const json = JSON.stringify(input);
      for (let i = 0; i < json.length; i += 16) {
        send('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: json.slice(i, i + 16) },
        });
      }
    }
    send('content_block_stop', { type: 'content_block_stop', index });
  }
  if (!(await gate())) return;
  send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason, stop_sequence, stop_details: null, container: null },
    usage: { output_tokens: usage.output_tokens },
  });
  send('message_stop', { type: 'message_stop' });
  finished = true;
  res.end();
}

/** Speaks the Anthropic Messages API wire format: POST /v1/messages, non-streaming and streaming. */
export async function startFakeAnthropic(apiKey = 'sk-ant-test-fake-key-0123456789'): Promise<FakeAnthropicServer> {
  const requests: FakeAnthropicRequest[] = [];
  let script: (body: any) => FakeReply = () => ({ text: 'Hello from the fake.' });
  let failures: { left: number; status: number; retryAfterMs?: number; message?: string } = { left: 0, status: 500 };
  let delays = { left: 0, ms: 0 };
  let nextHold: StreamControl['hold'];
  let nextFailure: StreamControl['failAfter'];
  let closedEarly = 0;

  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/messages') {
      sendError(res, 404, `Not found: ${req.method} ${req.url}`);
      return;
    }
    const raw = await readBody(req);
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      sendError(res, 400, 'There was an issue with the format of your request: invalid JSON');
      return;
    }
    const header = (name: string) => req.headers[name] as string | undefined;
    const bearer = /^Bearer (.+)$/.exec(header('authorization') ?? '')?.[1];
    const sentKey = header('x-api-key') ?? bearer;
    requests.push({
      apiKey: sentKey,
      authScheme: header('x-api-key') ? 'x-api-key' : bearer ? 'bearer' : undefined,
      version: header('anthropic-version'),
      authorization: header('authorization'),
      retryCount: header('x-stainless-retry-count'),
      body,
    });
    if (sentKey !== apiKey) return sendError(res, 401, 'invalid x-api-key');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(header('anthropic-version') ?? '')) {
      return sendError(res, 400, 'anthropic-version: header is required');
    }
    if (failures.left > 0) {
      failures.left--;
      const headers: Record<string, string> =
        failures.retryAfterMs !== undefined ? { 'retry-after-ms': String(failures.retryAfterMs) } : {};
      const message =
        failures.message ??
        (failures.status === 429 ? 'Number of requests has exceeded your rate limit' : 'Internal server error');
      return sendError(res, failures.status, message, headers);
    }
    const invalid = invalidBody(body);
    if (invalid) return sendError(res, 400, invalid);
    const answer = () => {
      if (res.destroyed) return;
      const message = toMessage(body, script(body), raw.length);
      if (body.stream === true) {
        const control: StreamControl = {
          hold: nextHold,
          failAfter: nextFailure,
          onClosedEarly: () => {
            closedEarly++;
            control.hold?.onClosed();
          },
        };
        nextHold = undefined;
        nextFailure = undefined;
        void sendStream(res, message, control);
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json', 'request-id': fakeId('req') })
        .end(JSON.stringify(message));
    };
    if (delays.left > 0) {
      delays.left--;
      const timer = setTimeout(answer, delays.ms);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    answer();
  });
  const base = await listenOnLoopback(server);
  return {
    url: base,
    apiKey,
    config: { apiKey, baseUrl: base, generationModel: undefined, classificationModel: undefined },
    requests,
    respond: (fn) => {
      script = fn;
    },
    failNext: (n, status, opts = {}) => {
      failures = { left: n, status, ...opts };
    },
    delayNext: (n, ms) => {
      delays = { left: n, ms };
    },
    holdNextStream: (afterDeltas) => {
      let onHeld!: () => void;
      let onClosed!: () => void;
      let resume!: () => void;
      const held = new Promise<void>((resolve) => (onHeld = resolve));
      const closed = new Promise<void>((resolve) => (onClosed = resolve));
      const resumed = new Promise<void>((resolve) => (resume = resolve));
      nextHold = { afterDeltas, onHeld, onClosed, resumed };
      return { held, closed, resume };
    },
    failNextStreamAfter: (afterDeltas, errorType = 'overloaded_error') => {
      nextFailure = { afterDeltas, errorType };
    },
    get streamsClosedEarly() {
      return closedEarly;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
