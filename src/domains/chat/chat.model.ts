import { z } from 'zod';

/** The longest message and system prompt accepted, in characters (the second seed's message limit). */
export const MAX_CHAT_MESSAGE_CHARS = 32_000;
export const MAX_SYSTEM_PROMPT_CHARS = 32_000;
/** The answer's length: 1024 tokens unless llm_config.max_tokens says otherwise, at most 8192. */
export const DEFAULT_ANSWER_TOKENS = 1024;
export const MAX_ANSWER_TOKENS = 8192;
/** How much of a conversation a model is shown: the latest messages, within both bounds. */
export const MAX_HISTORY_MESSAGES = 40;
export const MAX_HISTORY_CHARS = 100_000;
/**
 * How long a chat turn may wait for its answer before another may start on its conversation: one
 * whose process died (no answer will come) blocks the conversation no longer than this.
 */
export const CHAT_TURN_CAP_MS = 15 * 60 * 1000;

// Anthropic ids (claude-sonnet-4-20250514), and those of gateways behind ANTHROPIC_BASE_URL
// (Bedrock's anthropic.claude-...-v1:0, Vertex's claude-...@20250514).
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/;

export const LlmConfig = z
  .strictObject({
    provider: z
      .enum(['anthropic'])
      .optional()
      .describe('Only anthropic (Claude, through ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL)'),
    model: z
      .string()
      .min(1)
      .max(100)
      .regex(MODEL_ID, 'must be a model id such as claude-sonnet-4-20250514')
      .optional()
      .describe("The model id; default the server's generation model (SWITCHBOARD_GENERATION_MODEL)"),
    temperature: z.number().min(0).max(1).optional().describe('0 to 1; default the provider default (1)'),
    max_tokens: z
      .number()
      .int()
      .min(1)
      .max(MAX_ANSWER_TOKENS)
      .optional()
      .describe(`Longest answer, in tokens: 1-${MAX_ANSWER_TOKENS}, default ${DEFAULT_ANSWER_TOKENS}`),
  })
  .describe('Which model answers and how');
export type LlmConfig = z.infer<typeof LlmConfig>;

/** What `chat` and `POST /chat/stream` take (workspace_id is added by the catalog and by the stream route). */
export const ChatInput = z.object({
  message: z
    .string()
    .min(1)
    .max(MAX_CHAT_MESSAGE_CHARS)
    .regex(/\S/, 'must not be blank')
    .describe(`The user's message, at most ${MAX_CHAT_MESSAGE_CHARS} characters`),
  conversation_id: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('Continue this chat conversation (cnv_...): the model sees its latest messages. Omit to start one.'),
  system_prompt: z
    .string()
    .min(1)
    .max(MAX_SYSTEM_PROMPT_CHARS)
    .optional()
    .describe(`Instructions for the model for this turn, at most ${MAX_SYSTEM_PROMPT_CHARS} characters`),
  llm_config: LlmConfig.optional(),
});
export type ChatInput = z.infer<typeof ChatInput>;

export const ChatUsage = z.object({
  input_tokens: z.number().int().describe('Tokens the model read: the system prompt, the history and the message'),
  output_tokens: z.number().int().describe('Tokens the model wrote'),
});

export const ChatOutput = z.object({
  conversation_id: z.string().describe('The conversation (cnv_...): pass it to continue'),
  message_id: z
    .string()
    .nullable()
    .describe(
      "The stored answer's message id (msg_...); null if the conversation was deleted while the model answered",
    ),
  message: z.string().describe("The model's answer"),
  model: z.string().describe('The model that answered'),
  stop_reason: z.string().nullable().describe('Why the answer ended: end_turn, max_tokens, stop_sequence, refusal'),
  usage: ChatUsage,
});
export type ChatOutput = z.infer<typeof ChatOutput>;
