import { inspect } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import type { z } from 'zod';
import { AppError } from '../../kernel/errors.js';
import type {
  ChatRequest,
  ChatStreamEvent,
  ConverseBlock,
  ConverseRequest,
  ConverseResponse,
  DraftRewrite,
  DraftRewriteRequest,
  Llm,
  ReplyClassification,
  ReplyClassificationRequest,
} from '../../kernel/ports.js';
import {
  CLASSIFY_TOOL_NAME,
  ClassifyOutput,
  type MessageParams,
  REWRITE_TOOL_NAME,
  RewriteOutput,
  classifyParams,
  promptHash,
  rewriteParams,
  rewriteProblem,
} from './prompts.js';
import { streamAnthropicChat } from './anthropic-chat.js';

/** Current Sonnet and Haiku ids from the SDK's `Model` list (claude-sonnet-4-5 is deprecated there). */
export const DEFAULT_GENERATION_MODEL = 'claude-sonnet-5-5';
export const DEFAULT_CLASSIFICATION_MODEL = 'claude-haiku-5-5';

export interface AnthropicConfig {
  apiKey: string;
  /** Unset: ANTHROPIC_BASE_URL, then the SDK's default (https://api.anthropic.com). */
  baseURL?: string;
  /** Used for draft rewrites. */
  generationModel?: string;
  /** Used for reply classification. */
  classificationModel?: string;
  /** Retries the SDK makes on 408/409/429/5xx, timeouts and connection errors. Default 2. */
  maxRetries?: number;
  /** Per attempt, in milliseconds. Default 60 s. */
  timeoutMs?: number;
}

/** Claude through the official SDK: forced tool calls for structured output, every failure as upstream_error. */
export class AnthropicLlm implements Llm {
  readonly kind = 'anthropic' as const;
  readonly generationModel: string;
  readonly classificationModel: string;
  // Private fields, not properties: they stay out of JSON.stringify, util.inspect and so out of logs.
  readonly #client: Anthropic;
  readonly #apiKey: string;
  readonly #maxRetries: number;
  readonly #timeoutMs: number;

  constructor(config: AnthropicConfig) {
    this.generationModel = config.generationModel ?? DEFAULT_GENERATION_MODEL;
    this.classificationModel = config.classificationModel ?? DEFAULT_CLASSIFICATION_MODEL;
    this.#apiKey = config.apiKey;
    this.#maxRetries = config.maxRetries ?? 2;
    this.#timeoutMs = config.timeoutMs ?? 60_000;
    this.#client = new Anthropic({
      // A credential given in code is the SDK's only one: ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN
      // in the environment are not read. SDK 1.x sends the key as `Authorization: Bearer`.
      apiKey: config.apiKey,
      baseURL: config.baseURL ?? process.env.ANTHROPIC_BASE_URL ?? null,
      maxRetries: this.#maxRetries,
      timeout: this.#timeoutMs,
    });
  }

  async rewriteDraft(req: DraftRewriteRequest): Promise<DraftRewrite> {
    const params = rewriteParams(this.generationModel, req);
    const message = await this.#create(params, 'rewrite the draft');
    const out = toolOutput(message, REWRITE_TOOL_NAME, RewriteOutput, 'rewrite');
    const problem = rewriteProblem(req, out);
    if (problem)
      throw new AppError(
        'upstream_error',
        `The model's rewrite was refused: ${problem}. Send the template as is, or try again`,
      );
    return {
      subject: out.subject,
      body: out.body,
      model: message.model || params.model,
      promptHash: promptHash(params),
    };
  }

  /**
   * A forced tool call on the classification model. An answer that breaks the schema is asked for
   * once more (a fresh sample often fixes it); a second bad answer, like a provider failure after
   * the SDK's retries, is an upstream_error the caller falls back from.
   */
  async classifyReply(req: ReplyClassificationRequest): Promise<ReplyClassification> {
    const params = classifyParams(this.classificationModel, req);
    for (let attempt = 1; ; attempt++) {
      const message = await this.#create(params, 'classify the reply');
      try {
        const out = toolOutput(message, CLASSIFY_TOOL_NAME, ClassifyOutput, 'classification');
        const sender = req.from.trim().toLowerCase();
        const referral = out.referral_email?.toLowerCase() ?? null;
        return {
          ...out,
          // One line, bounded: the reason is stored and shown next to the reply.
          reason: out.reason.replace(/\s+/g, ' ').slice(0, 300),
          // The sender's own address is no referral: a misreading, not a reason to ask again.
          referral_email: referral === sender ? null : referral,
          model: message.model || params.model,
        };
      } catch (err) {
        if (attempt >= 2 || !(err instanceof AppError) || err.details?.malformed !== true) throw err;
      }
    }
  }

  // --- Agent conversations: one non-streaming turn of a tool-use loop (src/domains/agents/claude.ts).
  async converse(req: ConverseRequest): Promise<ConverseResponse> {
    const params: Anthropic.MessageCreateParamsNonStreaming = {
      model: req.model ?? this.generationModel,
      max_tokens: req.maxTokens,
      system: req.system,
      messages: req.messages.map((m) => ({
        role: m.role,
        content: typeof m.content === 'string' ? m.content : m.content.map(toParamBlock),
      })),
      ...(req.tools.length
        ? {
            tools: req.tools.map((t) => ({
              name: t.name,
              description: t.description,
              input_schema: t.input_schema as Anthropic.Tool.InputSchema,
            })),
          }
        : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    };
    const message = await this.#create(params, 'answer as an agent', req.signal);
    return {
      content: message.content.flatMap((b): ConverseBlock[] => {
        if (b.type === 'text') return [{ type: 'text', text: b.text }];
        if (b.type === 'tool_use') return [{ type: 'tool_use', id: b.id, name: b.name, input: b.input }];
        return [];
      }),
      stopReason: message.stop_reason ?? 'end_turn',
      usage: { input_tokens: message.usage.input_tokens, output_tokens: message.usage.output_tokens },
      model: message.model || params.model,
    };
  }

  // ---- Chat: streaming answers (issue #13); the code is in ./anthropic-chat.ts ----
  /** Streams a chat answer; aborting `req.signal` cancels the upstream request. */
  streamChat(req: ChatRequest): AsyncIterable<ChatStreamEvent> {
    return streamAnthropicChat(this.#client, this.generationModel, req, (err) =>
      this.#toAppError(err, 'answer the chat'),
    );
  }
  // ---- end of chat ----

  async #create(params: MessageParams, task: string, signal?: AbortSignal): Promise<Anthropic.Message> {
    try {
      return await this.#client.messages.create(params, signal ? { signal } : undefined);
    } catch (err) {
      throw this.#toAppError(err, task);
    }
  }

  /** SDK errors arrive here only after the SDK's own retries are spent. */
  #toAppError(err: unknown, task: string): unknown {
    if (!(err instanceof Anthropic.AnthropicError)) return err;
    const tries = `${this.#maxRetries + 1} attempt(s)`;
    let message: string;
    let details: Record<string, unknown> = { provider: 'anthropic' };
    if (err instanceof Anthropic.APIConnectionTimeoutError) {
      message = `The Anthropic API did not answer within ${this.#timeoutMs / 1000} s (${tries}) when asked to ${task}; try again later`;
    } else if (err instanceof Anthropic.APIConnectionError) {
      message = `Could not reach the Anthropic API (${tries}) to ${task}; check network access and ANTHROPIC_BASE_URL`;
    } else if (err instanceof Anthropic.APIError && err.status !== undefined) {
      const body = (err.error as { error?: { type?: unknown; message?: unknown } } | undefined)?.error;
      const type = typeof body?.type === 'string' ? body.type : undefined;
      const said = typeof body?.message === 'string' ? `: ${body.message.slice(0, 300)}` : '';
      details = { ...details, status: err.status, error_type: type, request_id: err.requestID ?? undefined };
      message = `The Anthropic API answered ${err.status}${type ? ` ${type}` : ''}${said} when asked to ${task}; ${hint(err.status, tries)}`;
    } else {
      message = `The Anthropic client failed to ${task}: ${err.message}`;
    }
    // The SDK error is kept as the cause for logs, unless the upstream echoed the key into it.
    const leaks = this.#apiKey !== '' && inspect(err, { depth: 6 }).includes(this.#apiKey);
    return new AppError('upstream_error', this.#redact(message), details, leaks ? {} : { cause: err });
  }

  #redact(text: string): string {
    return this.#apiKey ? text.split(this.#apiKey).join('[redacted]') : text;
  }
}

function toParamBlock(b: ConverseBlock): Anthropic.ContentBlockParam {
  if (b.type === 'text') return { type: 'text', text: b.text };
  if (b.type === 'tool_use') return { type: 'tool_use', id: b.id, name: b.name, input: b.input };
  return {
    type: 'tool_result',
    tool_use_id: b.tool_use_id,
    content: b.content,
    ...(b.is_error ? { is_error: true } : {}),
  };
}

function hint(status: number, tries: string): string {
  if (status === 401 || status === 403) return 'check ANTHROPIC_API_KEY';
  if (status === 429) return `rate limited after ${tries}; try again later`;
  if (status >= 500) return `failed after ${tries}; try again later`;
  return 'the request was refused';
}

/**
 * The forced tool call's input, validated. A gateway behind ANTHROPIC_BASE_URL may ignore
 * tool_choice and answer in text, so a JSON object in the text is accepted too.
 */
function toolOutput<T>(message: Anthropic.Message, tool: string, schema: z.ZodType<T>, what: string): T {
  if (message.stop_reason === 'max_tokens') throw badOutput(what, 'it was cut off at the token limit');
  if (message.stop_reason === 'refusal') throw badOutput(what, 'the model declined to answer');
  const call = message.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use' && b.name === tool);
  const input = call ? call.input : jsonInText(message.content);
  if (input === undefined) throw badOutput(what, `the model neither called ${tool} nor answered with JSON`);
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    // Paths and rule messages only: the model's text may hold the prospect's data.
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'output'}: ${i.message}`).join('; ');
    throw badOutput(what, issues);
  }
  return parsed.data;
}

function jsonInText(content: Anthropic.ContentBlock[]): unknown {
  const text = content
    .filter((b): b is Anthropic.TextBlock => b.type === 'text')
    .map((b) => b.text)
    .join('\n');
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch {
    return undefined;
  }
}

const badOutput = (what: string, why: string) =>
  new AppError('upstream_error', `The model's ${what} was unusable (${why}); try again`, {
    provider: 'anthropic',
    malformed: true,
  });
