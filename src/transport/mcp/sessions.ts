import type { McpConfig } from '../../config.js';

/** What the registry needs of a session, whichever transport serves it. */
export interface SessionEntry {
  readonly id: string;
  readonly keyId: string;
  readonly organizationId: string;
  lastSeen: number;
  /** Releases the session's server and transport; the registry has already forgotten it. */
  close(): void;
}

type Limits = Pick<McpConfig, 'maxSessions' | 'maxSessionsPerKey' | 'maxSessionsPerOrg' | 'sessionTtlMs'>;

const oldest = <S extends SessionEntry>(pool: Iterable<S>): S => {
  let found: S | undefined;
  for (const s of pool) if (!found || s.lastSeen < found.lastSeen) found = s;
  return found!;
};

/**
 * The open MCP sessions of one process, capped in all, per API key and per organization, so that
 * one tenant opening sessions in a loop cannot push everyone else's out. Room for a new session
 * is made at the newcomer's expense first: a key at its cap loses its own least recently used
 * session; an organization at its cap loses the newcomer key's oldest, or else its own oldest; a
 * full process loses the newcomer's (key's, then organization's) oldest, or else the oldest of the
 * organization holding the most sessions. A small tenant is never evicted for a big one's flood.
 */
export class SessionRegistry<S extends SessionEntry> {
  private readonly byId = new Map<string, S>();
  private readonly byKey = new Map<string, Set<S>>();
  private readonly byOrg = new Map<string, Set<S>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly limits: Limits) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.min(60_000, limits.sessionTtlMs)).unref();
  }

  get size(): number {
    return this.byId.size;
  }

  /** The session `id` if the key `keyId` opened it; another key's session is answered as unknown. */
  find(id: string, keyId: string): S | undefined {
    const session = this.byId.get(id);
    if (!session || session.keyId !== keyId) return undefined;
    session.lastSeen = Date.now();
    return session;
  }

  /** Registers a session whose initialize succeeded, evicting as described above when a cap is reached. */
  add(session: S): void {
    for (;;) {
      const own = this.byKey.get(session.keyId);
      const org = this.byOrg.get(session.organizationId);
      let pool: Set<S> | undefined;
      if (own && own.size >= this.limits.maxSessionsPerKey) pool = own;
      else if (org && org.size >= this.limits.maxSessionsPerOrg) pool = own?.size ? own : org;
      else if (this.byId.size >= this.limits.maxSessions) pool = own?.size ? own : org?.size ? org : this.largestOrg();
      else break;
      this.close(oldest(pool!));
    }
    this.byId.set(session.id, session);
    this.group(this.byKey, session.keyId).add(session);
    this.group(this.byOrg, session.organizationId).add(session);
  }

  /** Forgets a session without closing it (its transport closed itself); false if it was not registered. */
  remove(session: S): boolean {
    if (this.byId.get(session.id) !== session) return false;
    this.byId.delete(session.id);
    this.ungroup(this.byKey, session.keyId, session);
    this.ungroup(this.byOrg, session.organizationId, session);
    return true;
  }

  close(session: S): void {
    if (this.remove(session)) session.close();
  }

  sweep(now: number): void {
    const cutoff = now - this.limits.sessionTtlMs;
    for (const s of this.byId.values()) if (s.lastSeen < cutoff) this.close(s);
  }

  values(): IterableIterator<S> {
    return this.byId.values();
  }

  closeAll(): void {
    clearInterval(this.sweeper);
    for (const s of [...this.byId.values()]) this.close(s);
  }

  private largestOrg(): Set<S> | undefined {
    let largest: Set<S> | undefined;
    for (const set of this.byOrg.values()) if (!largest || set.size > largest.size) largest = set;
    return largest;
  }

  private group(index: Map<string, Set<S>>, name: string): Set<S> {
    let set = index.get(name);
    if (!set) {
      set = new Set();
      index.set(name, set);
    }
    return set;
  }

  private ungroup(index: Map<string, Set<S>>, name: string, session: S): void {
    const set = index.get(name);
    if (set?.delete(session) && set.size === 0) index.delete(name);
  }
}
