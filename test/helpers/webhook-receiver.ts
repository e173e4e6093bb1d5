import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { listenOnLoopback, readBody } from './loopback.js';

export interface Received {
  id: string;
  type: string;
  body: string;
  headers: Record<string, string>;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/** What the receiver does with a request: answer with a status (and headers), or never answer (a timeout). */
export type Behaviour = (
  req: Received,
  nth: number,
) => number | 'hang' | { status: number; headers: Record<string, string> };

/**
 * A local webhook receiver on 127.0.0.1. Every request it answers 2xx is checked first with the
 * independent `standardwebhooks` package against `secrets()` (any one verifying is enough, as in a
 * rotation); a request that fails verification is answered 401 and recorded in `invalid`.
 */
export async function startReceiver(secrets: () => string[], behave: Behaviour = () => 200) {
  const received: Received[] = [];
  const invalid: Received[] = [];
  /** Every verified request, whatever the answer. */
  const attempts: Received[] = [];
  const attemptsById = new Map<string, number>();
  const hanging: ServerResponse<IncomingMessage>[] = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const r: Received = {
      id: headers['webhook-id'] ?? '',
      type: JSON.parse(body).type,
      body,
      headers,
      at: Date.now(),
    };
    const verified = secrets().some((s) => {
      try {
        new Webhook(s).verify(body, headers);
        return true;
      } catch {
        return false;
      }
    });
    if (!verified) {
      invalid.push(r);
      res.writeHead(401).end('bad signature');
      return;
    }
    const nth = (attemptsById.get(r.id) ?? 0) + 1;
    attemptsById.set(r.id, nth);
    attempts.push(r);
    const outcome = behave(r, nth);
    if (outcome === 'hang') {
      hanging.push(res);
      return;
    }
    const { status, headers: extra } = typeof outcome === 'number' ? { status: outcome, headers: {} } : outcome;
    if (status >= 200 && status < 300) received.push(r);
    res.writeHead(status, { 'content-type': 'text/plain', ...extra }).end(`answer ${status}`);
  });
  const url = await listenOnLoopback(server);
  return {
    url: `${url}/hook`,
    received,
    invalid,
    attempts,
    attemptsById,
    /** Distinct event ids answered 2xx. */
    ids: () => new Set(received.map((r) => r.id)),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
