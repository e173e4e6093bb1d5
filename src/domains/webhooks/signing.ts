import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new endpoint secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
export const newWebhookSecret = (): string => `${PREFIX}${randomBytes(32).toString('base64')}`;

/**
 * What an endpoint's secrets are sealed with at rest (the server's secret box): the endpoint they
 * belong to, so a sealed value copied to another endpoint does not open. The migration that sealed
 * the secrets stored before (2026_12_05_1400_webhooks) uses the same string.
 */
export const secretContext = (workspaceId: string, endpointId: string) => `webhook-secret:${workspaceId}:${endpointId}`;

const keyOf = (secret: string) => Buffer.from(secret.slice(PREFIX.length), 'base64');

/**
 * The Standard Webhooks signature header: `v1,<base64 HMAC-SHA256 of id.timestamp.body>` keyed with
 * the secret's decoded bytes, one per active secret, space-separated (during a rotation both sign).
 */
export function standardSignature(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  return secrets
    .map((s) => `v1,${createHmac('sha256', keyOf(s)).update(`${id}.${timestamp}.${body}`).digest('base64')}`)
    .join(' ');
}

/**
 * The simpler `X-Switchboard-Signature`: `sha256=<hex HMAC-SHA256 of the raw body>` keyed with the
 * whole secret string as text, one per active secret. It has no timestamp, so it cannot stop a
 * replay: the Standard Webhooks headers are the ones to verify.
 */
export function simpleSignature(secrets: readonly string[], body: string): string {
  return secrets.map((s) => `sha256=${createHmac('sha256', s).update(body).digest('hex')}`).join(' ');
}
