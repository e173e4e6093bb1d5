import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { WebhookAttemptTable, WebhookEndpointTable } from '../../adapters/db/schema.js';
import { Timestamp } from '../../operations/inputs.js';

export const Webhook = z.object({
  id: z.string().describe('Webhook endpoint id (whk_...)'),
  url: z.string().describe('Where events are POSTed'),
  description: z.string().nullable(),
  events: z.array(z.string()).nullable().describe('Event types sent to it; null means every type'),
  enabled: z.boolean().describe('False: nothing is sent until it is enabled again'),
  disabled_reason: z
    .string()
    .nullable()
    .describe('Why Switchboard disabled it (e.g. failing for 5 days); null when enabled or disabled by a person'),
  failing_since: Timestamp.nullable().describe('Since when every attempt has failed; null after a success'),
  previous_secret_expires_at: Timestamp.nullable().describe('Until when the secret replaced by a rotation still signs'),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Webhook = z.infer<typeof Webhook>;

export const WebhookWithSecret = Webhook.extend({
  secret: z
    .string()
    .describe(
      'The signing secret (whsec_...). Shown this one time: store it now. Verify with any Standard Webhooks library.',
    ),
});

export const WEBHOOK_COLUMNS = [
  'id',
  'url',
  'description',
  'events',
  'enabled',
  'disabled_reason',
  'failing_since',
  'previous_secret_expires_at',
  'created_at',
  'updated_at',
] as const;
type Row = Pick<Selectable<WebhookEndpointTable>, (typeof WEBHOOK_COLUMNS)[number]>;

/** Only the public columns, whatever the row holds: a row read with its secret never passes it on. */
export function toWebhook(row: Row): Webhook {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    enabled: row.enabled,
    disabled_reason: row.disabled_reason,
    failing_since: row.failing_since?.toISOString() ?? null,
    previous_secret_expires_at: row.previous_secret_expires_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export const WebhookAttempt = z.object({
  id: z.string().describe('Attempt id (wha_...)'),
  delivery_id: z.string().describe('The delivery (one event to this endpoint) the attempt belongs to (whd_...)'),
  event_id: z.string().describe('The event id, sent as webhook-id: the same on every attempt'),
  event_type: z.string(),
  attempt: z.number().int().describe('1 for the first attempt of this delivery'),
  status_code: z.number().int().nullable().describe("The receiver's HTTP status; null when none came back"),
  latency_ms: z.number().int(),
  error: z.string().nullable().describe('What went wrong (timeout, connection refused, refused address, HTTP status)'),
  response_snippet: z
    .string()
    .nullable()
    .describe("The start of the receiver's answer, at most 1 kB; third-party text"),
  created_at: Timestamp,
});
export type WebhookAttempt = z.infer<typeof WebhookAttempt>;

export const ATTEMPT_COLUMNS = [
  'id',
  'delivery_id',
  'event_id',
  'event_type',
  'attempt',
  'status_code',
  'latency_ms',
  'error',
  'response_snippet',
  'created_at',
] as const;
type AttemptRow = Pick<Selectable<WebhookAttemptTable>, (typeof ATTEMPT_COLUMNS)[number]>;

export const toAttempt = (row: AttemptRow): WebhookAttempt => ({ ...row, created_at: row.created_at.toISOString() });

/** An endpoint failing without a success for this long is disabled. */
export const DISABLE_AFTER_MS = 5 * 86_400_000;
/** How long the replaced secret keeps signing after a rotation, unless told otherwise. */
export const DEFAULT_ROTATION_GRACE_S = 86_400;
