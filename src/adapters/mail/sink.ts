import { createHash } from 'node:crypto';
import type { MailSender, OutgoingEmail, SentEmail } from '../../kernel/ports.js';
import { assertSendable, messageIdFor, sendFailure } from './sender.js';

export interface SinkMessage {
  providerMessageId: string;
  email: OutgoingEmail;
  sentAt: Date;
}

export interface SinkOptions {
  /** How many messages are kept; older ones are dropped first. */
  capacity?: number;
  now?: () => Date;
}

/**
 * The test sink: keeps messages in memory instead of sending them. Used for `is_test` workspaces
 * and in tests. It checks messages like a real sender and dedupes on the idempotency key like
 * Resend (same key, same id, nothing recorded twice), so code behaves the same against it.
 */
export class SinkSender implements MailSender {
  readonly name = 'sink' as const;
  private readonly capacity: number;
  private readonly now: () => Date;
  /** Keyed by idempotency key; a Map keeps insertion order, so the first entry is the oldest. */
  private readonly byKey = new Map<string, SinkMessage>();
  private failures: { left: number; permanent: boolean } = { left: 0, permanent: false };

  constructor(options: SinkOptions = {}) {
    this.capacity = Math.max(1, options.capacity ?? 1000);
    this.now = options.now ?? (() => new Date());
  }

  async send(email: OutgoingEmail): Promise<SentEmail> {
    assertSendable(email);
    if (this.failures.left > 0) {
      this.failures.left--;
      const permanent = this.failures.permanent;
      throw sendFailure(`Test sink ${permanent ? 'rejected' : 'deferred'} the message as instructed`, {
        provider: 'sink',
        permanent,
      });
    }
    const seen = this.byKey.get(email.idempotencyKey);
    // The id an SMTP send of it would carry, so replies to test mail thread as real ones do.
    const messageId = messageIdFor(email.idempotencyKey, email.from.email);
    if (seen) return { provider: 'sink', providerMessageId: seen.providerMessageId, messageId };
    const providerMessageId = `sink_${createHash('sha256').update(email.idempotencyKey).digest('hex').slice(0, 24)}`;
    this.byKey.set(email.idempotencyKey, { providerMessageId, email: structuredClone(email), sentAt: this.now() });
    while (this.byKey.size > this.capacity) this.byKey.delete(this.byKey.keys().next().value!);
    return { provider: 'sink', providerMessageId, messageId };
  }

  /** The kept messages, oldest first. */
  messages(): SinkMessage[] {
    return [...this.byKey.values()];
  }

  /** The kept messages to one recipient, compared case-insensitively. */
  messagesTo(address: string): SinkMessage[] {
    return this.messages().filter((m) => m.email.to.toLowerCase() === address.toLowerCase());
  }

  clear(): void {
    this.byKey.clear();
  }

  /** The next `n` sends fail with `upstream_error`, permanent or not: for testing how callers handle failures. */
  failNext(n: number, options: { permanent?: boolean } = {}): void {
    this.failures = { left: n, permanent: options.permanent ?? false };
  }
}
