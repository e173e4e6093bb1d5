import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import { authenticateKey } from './auth.js';
import type { Clock } from '../../kernel/clock.js';
import type { Principal } from '../../kernel/context.js';

const MAX_ENTRIES = 10_000;

/**
 * Remembers resolved keys for SWITCHBOARD_CACHE_MS, so a burst of calls costs one key lookup
 * instead of one each. Revoking or rotating a key through this process forgets it at once; done by
 * another process, it takes effect within the TTL. 0 turns the cache off.
 */
export class KeyCache {
  private readonly entries = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  async authenticate(presented: string): Promise<Principal | null> {
    const now = performance.now();
    const hit = this.entries.get(presented);
    if (hit && hit.until > now) return hit.principal;
    const principal = await authenticateKey(this.db, this.clock, presented);
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    // Unknown keys are not remembered: a flood of wrong keys must not push out the good ones.
    if (principal && this.ttlMs > 0) {
      // A key about to expire is remembered only until it does.
      const left = principal.expiresAt
        ? principal.expiresAt.getTime() - this.clock.now().getTime()
        : Number.POSITIVE_INFINITY;
      this.entries.set(presented, { principal, until: now + Math.min(this.ttlMs, left) });
    } else this.entries.delete(presented);
    return principal;
  }

  /** Called after a change every key of the organization carries (its rate limits). */
  forgetOrganization(organizationId: string): void {
    for (const [secret, e] of this.entries)
      if (e.principal.organizationId === organizationId) this.entries.delete(secret);
  }

  /** Called after a key is revoked or rotated. */
  forget(keyId: string): void {
    for (const [secret, e] of this.entries) if (e.principal.keyId === keyId) this.entries.delete(secret);
  }
}
