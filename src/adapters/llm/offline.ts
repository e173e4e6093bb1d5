import type { DraftRewrite, DraftRewriteRequest, Llm } from '../../kernel/ports.js';
import { canonicalJson, sha256Hex } from './prompts.js';

/**
 * Works without a key or network: drafts stay the rendered template. It has no `classifyReply`:
 * replies are then classified by the replies domain's own rules (src/domains/replies/classify).
 * It has no `streamChat` either: a chat is a free-form conversation with a model, and there is no
 * honest way to answer one without a model (no knowledge base is attached to a chat to quote from),
 * so `chat` and `POST /chat/stream` answer `not_configured` naming ANTHROPIC_API_KEY, before
 * storing anything.
 */
export class OfflineLlm implements Llm {
  readonly kind = 'offline' as const;

  async rewriteDraft(req: DraftRewriteRequest): Promise<DraftRewrite> {
    const { subject, body, facts, tone, maxWords, language } = req;
    const inputs = canonicalJson({ subject, body, facts, tone, maxWords, language });
    return { subject, body, model: 'offline', promptHash: sha256Hex(inputs) };
  }
}
