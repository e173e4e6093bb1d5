import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { JSON_HEADERS, type RequestId } from './endpoint.js';
import { wireJson } from './wire-json.js';

/*
 * The native transport's two moving parts: the answer to one POST (JSON, or SSE once it streams)
 * and the SDK `Transport` that routes the server's messages to the POST waiting for them.
 */

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};
const KEEP_ALIVE = ': keep-alive\n\n';

export type Request = JSONRPCMessage & {
  id: RequestId;
  method: string;
  params?: { _meta?: { progressToken?: unknown } };
};
export const isRequest = (m: JSONRPCMessage): m is Request => 'method' in m && 'id' in m;
const isResponse = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId } => 'id' in m && !('method' in m);

/**
 * The answer to one POST. Holds the ids of the requests it carried and writes their responses in
 * that order, as one JSON value once all are in, or as SSE events as they come once it streams.
 */
export class Exchange {
  private readonly answers = new Map<RequestId, JSONRPCMessage>();
  private streaming = false;
  private finished = false;
  private ticks = 0;
  readonly done: Promise<void>;
  private resolve!: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: OutgoingHttpHeaders,
    readonly ids: readonly RequestId[],
    private readonly batch: boolean,
    /** False for initialize: its answer decides the headers (the session id), so it cannot stream. */
    private readonly canStream: boolean,
    /** Sees the last answer before the JSON response is written. */
    private readonly beforeAnswer?: (answer: JSONRPCMessage) => void,
  ) {
    this.done = new Promise((r) => (this.resolve = r));
  }

  /** Whether every request it carried has its answer: no handler of them is still running. */
  get answered(): boolean {
    return this.answers.size === this.ids.length;
  }

  /** Switches to SSE (once); false when this exchange cannot stream. */
  stream(): boolean {
    if (this.streaming || !this.canStream || this.finished) return this.streaming;
    this.streaming = true;
    this.res.writeHead(200, { ...this.headers, ...SSE_HEADERS }).flushHeaders();
    return true;
  }

  deliver(message: JSONRPCMessage): void {
    if (this.finished) return;
    const response = isResponse(message);
    // Anything but an answer needs a stream to reach the client; without one it is dropped.
    if (!response && !this.stream()) return;
    if (this.streaming) this.res.write(`event: message\ndata: ${wireJson(message).join('')}\n\n`);
    if (!response) return;
    this.answers.set(message.id, message);
    if (this.answers.size < this.ids.length) return;
    if (this.streaming) this.res.end();
    else {
      this.beforeAnswer?.(message);
      const parts = wireJson(this.batch ? this.ids.map((id) => this.answers.get(id)!) : message);
      let length = 0;
      for (const part of parts) length += Buffer.byteLength(part);
      // Corked, node:http sends the pieces in one writev, after the headers.
      this.res.writeHead(200, { ...this.headers, ...JSON_HEADERS, 'content-length': length }).cork();
      for (const part of parts) this.res.write(part);
      this.res.end();
    }
    this.finish();
  }

  /**
   * Every keep-alive interval: a stream gets a comment so idle proxies keep it open, and a call
   * still unanswered a whole interval later starts streaming to get one.
   */
  tick(): void {
    if (this.finished || (!this.streaming && ++this.ticks < 2)) return;
    if (this.stream()) this.res.write(KEEP_ALIVE);
  }

  /** The client went away: nothing more is written. */
  finish(): void {
    this.finished = true;
    this.resolve();
  }

  /** The session closed under a running call: every request still unanswered gets an error, so no client hangs. */
  abandon(): void {
    for (const id of this.ids) {
      if (!this.answers.has(id)) {
        this.deliver({
          jsonrpc: '2.0',
          id,
          error: {
            code: -32001,
            message:
              'Session closed (expired, evicted, deleted or server shutting down) before this call finished; start a new session',
          },
        });
      }
    }
  }
}

/** The SDK transport between one `Server` and the HTTP requests of its session (or of one stateless request). */
export class HttpServerTransport implements Transport {
  sessionId?: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  private readonly waiting = new Map<RequestId, Exchange>();
  private closed = false;

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const response = isResponse(message);
    const id = response ? message.id : options?.relatedRequestId;
    // Nobody waits when the client went away, or for a message unrelated to any request (there is no GET stream to carry it).
    const exchange = id === undefined ? undefined : this.waiting.get(id);
    if (!exchange) return;
    if (response) this.waiting.delete(id!);
    exchange.deliver(message);
  }

  isWaitingFor(id: RequestId): boolean {
    return this.waiting.has(id);
  }

  /** Hands the messages of one POST to the server; the answers to its requests go to `exchange`. */
  receive(messages: JSONRPCMessage[], exchange: Exchange | undefined, extra: MessageExtraInfo): void {
    if (exchange) for (const id of exchange.ids) this.waiting.set(id, exchange);
    for (const message of messages) this.onmessage?.(message, extra);
  }

  forget(exchange: Exchange): void {
    for (const id of exchange.ids) if (this.waiting.get(id) === exchange) this.waiting.delete(id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const running = new Set(this.waiting.values());
    this.waiting.clear();
    for (const exchange of running) exchange.abandon();
    this.onclose?.();
  }
}
