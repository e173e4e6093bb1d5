import { createHash } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import { listenOnLoopback, readBody } from './loopback.js';

export const FAKE_DIMENSIONS = 64;

/**
 * A deterministic stand-in for a sentence embedding: words folded to a crude stem and hashed into
 * buckets, so texts sharing vocabulary (across inflections) land close together.
 */
export function fakeEmbedding(text: string): number[] {
  const v = new Array<number>(FAKE_DIMENSIONS).fill(0);
  const words =
    text
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .match(/[a-z0-9]+/g) ?? [];
  for (const w of words) {
    if (w.length < 3) continue;
    const stem = w.slice(0, 5);
    const h = createHash('md5').update(stem).digest();
    v[h[0]! % FAKE_DIMENSIONS]! += 1;
    v[h[1]! % FAKE_DIMENSIONS]! += 0.5;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

export interface FakeEmbeddingsServer {
  url: string;
  requests: { model: string; input: string[]; input_type?: string; authorization?: string }[];
  /** The next `n` requests answer this status instead of embeddings. */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

/** Speaks the embeddings wire format Voyage and OpenAI share: POST /v1/embeddings. */
export async function startFakeEmbeddings(): Promise<FakeEmbeddingsServer> {
  const requests: FakeEmbeddingsServer['requests'] = [];
  let failures: { left: number; status: number } = { left: 0, status: 500 };
  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(await readBody(req));
    requests.push({
      model: body.model,
      input: body.input,
      input_type: body.input_type,
      authorization: req.headers.authorization,
    });
    if (failures.left > 0) {
      failures.left--;
      res
        .writeHead(failures.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ detail: 'fake failure' }));
      return;
    }
    const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        object: 'list',
        data: inputs.map((text, index) => ({ object: 'embedding', embedding: fakeEmbedding(text), index })),
        model: body.model,
        usage: { total_tokens: inputs.join(' ').split(/\s+/).length },
      }),
    );
  });
  const base = await listenOnLoopback(server);
  return {
    url: `${base}/v1`,
    requests,
    failNext: (n, status) => {
      failures = { left: n, status };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
