import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestContext, Services, Workspace } from '../../../kernel/context.js';
import { newId, randomToken } from '../../../kernel/ids.js';
import { appendEvent } from '../../../kernel/outbox.js';
import { transact } from '../../../kernel/transact.js';
import { toWorkspace } from '../../tenancy/index.js';
import { HOOK_PATH_PREFIX, type InboundHook, toInboundHook } from './inbound.model.js';

const TOKEN_PREFIX = 'sbin_';
const VISIBLE = TOKEN_PREFIX.length + 6;
// Tokens are base32 of random bytes; anything else is answered as unknown without a query.
const TOKEN_SHAPE = /^sbin_[0-9a-z]{40}$/;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface RotatedInboundToken {
  hook: InboundHook;
  /** The plaintext token: returned once, never stored. */
  token: string;
  /** `/hooks/inbound/<token>` */
  path: string;
  /** The same under the server's public URL. */
  url: string;
}

/** Makes the workspace's hook token, or replaces it: the previous one stops working at once. */
export async function rotateInboundToken(ctx: RequestContext): Promise<RotatedInboundToken> {
  const token = TOKEN_PREFIX + randomToken(25);
  const now = ctx.clock.now();
  const row = await transact(ctx.db, async (trx) => {
    await trx.deleteFrom('inbound_hook_tokens').where('workspace_id', '=', ctx.workspace.id).execute();
    const inserted = await trx
      .insertInto('inbound_hook_tokens')
      .values({
        workspace_id: ctx.workspace.id,
        id: newId('iht', now),
        token_hash: hashToken(token),
        prefix: token.slice(0, VISIBLE),
        created_at: now,
      })
      .returning(['prefix', 'created_at', 'last_used_at'])
      .executeTakeFirstOrThrow();
    await appendEvent(trx, ctx, 'workspace.settings_updated', { section: 'inbound_hook' }, { at: now });
    return inserted;
  });
  const path = `${HOOK_PATH_PREFIX}${token}`;
  return { hook: toInboundHook(row), token, path, url: `${ctx.publicUrl}${path}` };
}

/**
 * The workspace a hook token belongs to, or null for any token that is not live (malformed, unknown,
 * rotated away): callers answer all of them alike. The lookup is by hash, so the token itself is
 * never compared byte by byte.
 */
export async function workspaceForHookToken(services: Services, token: string): Promise<Workspace | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  const hash = hashToken(token);
  const row = await services.db
    .selectFrom('inbound_hook_tokens as t')
    .innerJoin('workspaces as w', 'w.id', 't.workspace_id')
    .select(['t.id as token_id', 't.token_hash', 't.last_used_at'])
    .select([
      'w.id',
      'w.organization_id',
      'w.name',
      'w.slug',
      'w.is_test',
      'w.timezone',
      'w.settings',
      'w.created_at',
      'w.updated_at',
    ])
    .where('t.token_hash', '=', hash)
    .executeTakeFirst();
  // Defence in depth after the index lookup, as for API keys.
  if (!row || !timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))) return null;
  const now = services.clock.now();
  // Informational: refreshed at most once a minute, off the hot path.
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) {
    await services.db
      .updateTable('inbound_hook_tokens')
      .set({ last_used_at: now })
      .where('workspace_id', '=', row.id)
      .where('id', '=', row.token_id)
      .execute();
  }
  const { token_id: _, token_hash: __, last_used_at: ___, ...workspace } = row;
  return toWorkspace(workspace);
}
