import { authenticateKey } from '../core/auth.js';
import type { Principal } from '../core/context.js';
import type { App } from '../app.js';

const MAX_ENTRIES = 10_000;

/**
 * Remembers resolved keys for a moment (SWITCHBOARD_CACHE_MS), so a burst of calls costs one
 * key lookup instead of one each. A revoked or rotated key keeps working that long at most: the
 * price of the saving. 0 turns the cache off.
 */

export class KeyCache {
  private readonly entries = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly app: App,
    private readonly ttlMs = app.config.cacheMs,
  ) {}

  async authenticate(presented: string): Promise<Principal | null> {
    const now = performance.now();
    const hit = this.entries.get(presented);
    if (hit && hit.until > now) return hit.principal;
    const principal = await authenticateKey(this.app.db, this.app.clock, presented);
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    // Unknown keys are not remembered: a flood of wrong keys must not push out the good ones.
    if (principal && this.ttlMs > 0) this.entries.set(presented, { principal, until: now + this.ttlMs });
    else this.entries.delete(presented);
    return principal;
  }
}
