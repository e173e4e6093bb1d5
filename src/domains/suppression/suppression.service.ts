import type { Kysely } from 'kysely';
import type { Database, SuppressionRow } from '../../adapters/db/schema.js';
import { transact } from '../../kernel/transact.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { appendEvent } from '../../kernel/outbox.js';
import { newId } from '../../kernel/ids.js';
import { type Page, type PageRequest, keysetPage, newestFirst } from '../../kernel/pagination.js';

export interface Suppression {
  id: string;
  kind: 'email' | 'domain';
  /** A lower-cased address, or `@domain` for a whole domain. */
  value: string;
  reason: string;
  /** Who added it: `api`, or later `unsubscribe`, `bounce`, `complaint`. */
  source: string;
  created_at: string;
}

const COLUMNS = ['id', 'kind', 'value', 'reason', 'source', 'created_at'] as const;
const toSuppression = (row: Pick<SuppressionRow, (typeof COLUMNS)[number]>): Suppression => ({
  ...row,
  created_at: row.created_at.toISOString(),
});

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const LOCAL_PART = /^[^\s@]{1,64}$/;

/** Parses `someone@example.com` or `@example.com` into a normalised suppression target. */
export function parseTarget(raw: string, param = 'email'): { kind: 'email' | 'domain'; value: string; domain: string } {
  const value = raw.trim().toLowerCase();
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (at < 0 || !DOMAIN.test(domain) || (at > 0 && !LOCAL_PART.test(local))) {
    throw new AppError(
      'invalid_request',
      `"${raw}" is neither an email address (name@example.com) nor a domain (@example.com)`,
      { param },
    );
  }
  return { kind: at === 0 ? 'domain' : 'email', value, domain };
}

/** Adds an address or a whole `@domain`. Adding one already there returns it unchanged. */
export async function addSuppression(
  ctx: RequestContext,
  input: { email: string; reason: string },
  source = 'api',
): Promise<{ suppression: Suppression; created: boolean }> {
  const target = parseTarget(input.email);
  return transact(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    const row = await trx
      .insertInto('suppressions')
      .values({
        workspace_id: ctx.workspace.id,
        id: newId('sup', now),
        kind: target.kind,
        value: target.value,
        reason: input.reason,
        source,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'value']).doNothing())
      .returning(COLUMNS)
      .executeTakeFirst();
    if (!row) {
      const existing = await trx
        .selectFrom('suppressions')
        .select(COLUMNS)
        .where('workspace_id', '=', ctx.workspace.id)
        .where('value', '=', target.value)
        .executeTakeFirstOrThrow();
      return { suppression: toSuppression(existing), created: false };
    }
    const prospect = target.kind === 'email' ? await prospectIdByEmail(trx, ctx.workspace.id, target.value) : null;
    await appendEvent(
      trx,
      ctx,
      'suppression.added',
      { suppression_id: row.id, value: row.value, reason: row.reason, source },
      { at: now, prospectId: prospect },
    );
    return { suppression: toSuppression(row), created: true };
  });
}

/** Whether mail to this address (or domain) is blocked, and by which entries. */
export async function checkSuppression(
  ctx: RequestContext,
  email: string,
): Promise<{ email: string; suppressed: boolean; matches: Suppression[] }> {
  const target = parseTarget(email);
  const matches = (await matchingEntries(ctx.db, ctx.workspace.id, target)).map(toSuppression);
  return { email: target.value, suppressed: matches.length > 0, matches };
}

/** The check used wherever mail is about to be prepared or sent. */
export async function isSuppressed(db: Kysely<Database>, workspaceId: string, email: string): Promise<boolean> {
  return (await matchingEntries(db, workspaceId, parseTarget(email))).length > 0;
}

function matchingEntries(db: Kysely<Database>, workspaceId: string, target: { value: string; domain: string }) {
  return db
    .selectFrom('suppressions')
    .select(COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .where('value', 'in', [...new Set([target.value, `@${target.domain}`])])
    .orderBy('created_at')
    .execute();
}

/** Entries newest first, optionally narrowed by kind or a substring. */
export async function listSuppressions(
  ctx: RequestContext,
  filters: { kind?: 'email' | 'domain' | undefined; q?: string | undefined },
  page: PageRequest,
): Promise<Page<Suppression>> {
  let q = ctx.db.selectFrom('suppressions').select(COLUMNS).where('workspace_id', '=', ctx.workspace.id);
  if (filters.kind) q = q.where('kind', '=', filters.kind);
  if (filters.q) q = q.where('value', 'like', `%${filters.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  return keysetPage(q, newestFirst, page, filters, toSuppression);
}

/** Removes an entry, so mail to it may be sent again. An administrative act: it is recorded. */
export async function removeSuppression(ctx: RequestContext, suppressionId: string): Promise<Suppression> {
  return transact(ctx.db, async (trx) => {
    const row = await trx
      .deleteFrom('suppressions')
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', suppressionId)
      .returning(COLUMNS)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `Suppression ${suppressionId} not found`, { param: 'suppression_id' });
    const now = ctx.clock.now();
    const prospect = row.kind === 'email' ? await prospectIdByEmail(trx, ctx.workspace.id, row.value) : null;
    await appendEvent(
      trx,
      ctx,
      'suppression.removed',
      { suppression_id: row.id, value: row.value },
      { at: now, prospectId: prospect },
    );
    return toSuppression(row);
  });
}

async function prospectIdByEmail(db: Kysely<Database>, workspaceId: string, email: string): Promise<string | null> {
  const row = await db
    .selectFrom('prospects')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('email', '=', email)
    .executeTakeFirst();
  return row?.id ?? null;
}
