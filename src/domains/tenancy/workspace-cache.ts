import type { Kysely } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import { canSeeWorkspace } from './scopes.js';
import type { Principal, Workspace } from '../../kernel/context.js';
import { resolveWorkspace, workspaceNotFound } from './workspaces.service.js';

const MAX_ENTRIES = 10_000;

const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
};

/**
 * Remembers how a caller's `workspace_id` (an id or a slug) resolved, for SWITCHBOARD_CACHE_MS, so
 * a burst of tool calls costs one workspace lookup instead of one each. Writes through this
 * process forget the workspace at once; a change made by another process shows within the TTL.
 * The grant is checked against the caller's key on every hit. 0 turns the cache off.
 */
export class WorkspaceCache {
  private readonly entries = new Map<string, { workspace: Workspace; until: number }>();

  constructor(private readonly ttlMs: number) {}

  async resolve(db: Kysely<Database>, principal: Principal, idOrSlug: string | undefined): Promise<Workspace> {
    if (this.ttlMs === 0) return resolveWorkspace(db, principal, idOrSlug);
    // Without a workspace_id the answer depends on the key's grants, so it is remembered per key.
    const cacheKey =
      idOrSlug === undefined ? `key\0${principal.keyId}` : `org\0${principal.organizationId}\0${idOrSlug}`;
    const now = performance.now();
    const hit = this.entries.get(cacheKey);
    if (hit && hit.until > now) {
      if (!canSeeWorkspace(principal, hit.workspace.id)) throw workspaceNotFound(idOrSlug!);
      return hit.workspace;
    }
    const workspace = deepFreeze(await resolveWorkspace(db, principal, idOrSlug));
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(cacheKey, { workspace, until: now + this.ttlMs });
    return workspace;
  }

  /** Called after a write to the workspace row. */
  forget(workspaceId: string): void {
    for (const [k, e] of this.entries) if (e.workspace.id === workspaceId) this.entries.delete(k);
  }
}
