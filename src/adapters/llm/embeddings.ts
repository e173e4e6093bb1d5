import { AppError } from '../../kernel/errors.js';
import type { Embedder } from '../../kernel/ports.js';

export interface EmbeddingsConfig {
  /** Base URL of an embeddings API: Voyage's (`https://api.voyageai.com/v1`) or any OpenAI-compatible one. */
  url: string;
  model: string;
  apiKey: string | undefined;
  /** `voyage` sends Voyage's `input_type`; `openai` sends only what the OpenAI API accepts. */
  provider: 'voyage' | 'openai';
}

const BATCH = 64;
const TRIES = 3;

/** POST {url}/embeddings, the wire format Voyage and OpenAI share. Retries 429 and 5xx, then reports upstream_error. */
export class HttpEmbedder implements Embedder {
  readonly model: string;

  constructor(
    private readonly config: EmbeddingsConfig,
    private readonly timeoutMs = 30_000,
  ) {
    this.model = config.model;
  }

  async embed(texts: string[], kind: 'document' | 'query'): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += BATCH) out.push(...(await this.embedBatch(texts.slice(i, i + BATCH), kind)));
    return out;
  }

  private async embedBatch(input: string[], kind: 'document' | 'query'): Promise<number[][]> {
    const body = JSON.stringify({
      input,
      model: this.config.model,
      ...(this.config.provider === 'voyage' ? { input_type: kind } : {}),
    });
    let lastError = '';
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      try {
        const res = await fetch(`${this.config.url.replace(/\/+$/, '')}/embeddings`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(this.config.apiKey ? { authorization: `Bearer ${this.config.apiKey}` } : {}),
          },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (res.ok) return parseEmbeddings(await res.json(), input.length);
        lastError = `HTTP ${res.status}`;
        if (res.status !== 429 && res.status < 500) break;
      } catch (err) {
        if (err instanceof AppError) throw err;
        lastError = (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message;
      }
      if (attempt < TRIES) await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
    throw new AppError('upstream_error', `The embeddings provider did not answer (${lastError})`);
  }
}

function parseEmbeddings(json: unknown, expected: number): number[][] {
  const data = (json as { data?: { embedding?: unknown; index?: number }[] })?.data;
  if (!Array.isArray(data) || data.length !== expected || !data.every((d) => Array.isArray(d.embedding))) {
    throw new AppError('upstream_error', 'The embeddings provider answered in an unexpected format');
  }
  return [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((d) => d.embedding as number[]);
}
