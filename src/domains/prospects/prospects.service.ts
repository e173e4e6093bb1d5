import { sql } from 'kysely';
import type { ProspectRow } from '../../adapters/db/schema.js';
import { transact } from '../../kernel/transact.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { type DomainEvent, EVENT_COLUMNS, appendEvent, toEvent } from '../../kernel/outbox.js';
import { newId } from '../../kernel/ids.js';
import { type Page, type PageRequest, keysetPage, newestFirst, oldestFirst } from '../../kernel/pagination.js';

export const PROSPECT_STATUSES = [
  'new',
  'contacted',
  'replied',
  'interested',
  'not_interested',
  'converted',
  'unsubscribed',
  'bounced',
] as const;
export type ProspectStatus = (typeof PROSPECT_STATUSES)[number];

export interface Prospect {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  title: string | null;
  phone: string | null;
  status: string;
  tags: string[];
  custom_fields: Record<string, unknown>;
  snoozed_until: string | null;
  follow_up_on: string | null;
  created_at: string;
  updated_at: string;
}

const PROSPECT_COLUMNS = [
  'id',
  'email',
  'first_name',
  'last_name',
  'company',
  'title',
  'phone',
  'status',
  'tags',
  'custom_fields',
  'snoozed_until',
  'follow_up_on',
  'created_at',
  'updated_at',
] as const;
type ProspectColumns = Pick<ProspectRow, (typeof PROSPECT_COLUMNS)[number]>;

function toProspect(row: ProspectColumns): Prospect {
  return { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() };
}

const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export interface ProspectFilters {
  status?: ProspectStatus | undefined;
  tag?: string | undefined;
  /** Case-insensitive substring of email, name or company. */
  q?: string | undefined;
  created_after?: string | undefined;
  created_before?: string | undefined;
}

/** Prospects matching the filters, newest first, one page at a time. */
export async function listProspects(
  ctx: RequestContext,
  filters: ProspectFilters,
  page: PageRequest,
): Promise<Page<Prospect>> {
  let q = ctx.db.selectFrom('prospects').select(PROSPECT_COLUMNS).where('workspace_id', '=', ctx.workspace.id);
  if (filters.status) q = q.where('status', '=', filters.status);
  if (filters.tag) q = q.where(sql<boolean>`tags @> array[${filters.tag}]::text[]`);
  if (filters.q) {
    const like = `%${filters.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(sql<boolean>`concat_ws(' ', email, first_name, last_name, company) ilike ${like}`);
  }
  if (filters.created_after) q = q.where('created_at', '>=', new Date(filters.created_after));
  if (filters.created_before) q = q.where('created_at', '<', new Date(filters.created_before));
  return keysetPage(q, newestFirst, page, filters, toProspect);
}

/** One prospect by id. */
export async function getProspect(ctx: RequestContext, prospectId: string): Promise<Prospect> {
  const row = await ctx.db
    .selectFrom('prospects')
    .select(PROSPECT_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', prospectId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `Prospect ${prospectId} not found`, { param: 'prospect_id' });
  return toProspect(row);
}

export interface UpsertProspectInput {
  email: string;
  first_name?: string | null | undefined;
  last_name?: string | null | undefined;
  company?: string | null | undefined;
  title?: string | null | undefined;
  phone?: string | null | undefined;
  status?: ProspectStatus | undefined;
  tags?: string[] | undefined;
  custom_fields?: Record<string, unknown> | undefined;
}

const SCALAR_FIELDS = ['first_name', 'last_name', 'company', 'title', 'phone', 'status'] as const;

/**
 * Creates the prospect with this email, or updates the fields given (others are kept; `tags`
 * replaces, `custom_fields` merges). Repeating the same call changes nothing and emits no event.
 */
export async function upsertProspect(
  ctx: RequestContext,
  input: UpsertProspectInput,
): Promise<{ prospect: Prospect; created: boolean; changed_fields: string[] }> {
  const email = normalizeEmail(input.email);
  return transact(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    const inserted = await trx
      .insertInto('prospects')
      .values({
        workspace_id: ctx.workspace.id,
        id: newId('pro', now),
        email,
        first_name: input.first_name ?? null,
        last_name: input.last_name ?? null,
        company: input.company ?? null,
        title: input.title ?? null,
        phone: input.phone ?? null,
        status: input.status ?? 'new',
        tags: dedupe(input.tags ?? []),
        custom_fields: JSON.stringify(input.custom_fields ?? {}),
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'email']).doNothing())
      .returning(PROSPECT_COLUMNS)
      .executeTakeFirst();
    if (inserted) {
      await appendEvent(
        trx,
        ctx,
        'prospect.created',
        { prospect_id: inserted.id, email },
        { at: now, prospectId: inserted.id },
      );
      return { prospect: toProspect(inserted), created: true, changed_fields: [] };
    }

    const current = await trx
      .selectFrom('prospects')
      .select(PROSPECT_COLUMNS)
      .where('workspace_id', '=', ctx.workspace.id)
      .where('email', '=', email)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const changes: Record<string, unknown> = {};
    for (const field of SCALAR_FIELDS) {
      if (input[field] !== undefined && input[field] !== current[field]) changes[field] = input[field];
    }
    if (input.tags !== undefined && !sameSet(input.tags, current.tags)) changes.tags = dedupe(input.tags);
    if (input.custom_fields !== undefined) {
      const merged = { ...current.custom_fields, ...input.custom_fields };
      if (JSON.stringify(merged) !== JSON.stringify(current.custom_fields))
        changes.custom_fields = JSON.stringify(merged);
    }
    const changed_fields = Object.keys(changes);
    if (!changed_fields.length) return { prospect: toProspect(current), created: false, changed_fields };

    const updated = await trx
      .updateTable('prospects')
      .set({ ...changes, updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', current.id)
      .returning(PROSPECT_COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(
      trx,
      ctx,
      'prospect.updated',
      { prospect_id: current.id, changed_fields },
      { at: now, prospectId: current.id },
    );
    return { prospect: toProspect(updated), created: false, changed_fields };
  });
}

/** Everything that happened to a prospect, oldest first. */
export async function getProspectHistory(
  ctx: RequestContext,
  prospectId: string,
  page: PageRequest,
): Promise<Page<DomainEvent>> {
  await getProspect(ctx, prospectId);
  const q = ctx.db
    .selectFrom('events')
    .select(EVENT_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('prospect_id', '=', prospectId);
  const filters = { prospect_id: prospectId };
  return keysetPage(q, oldestFirst, page, filters, toEvent);
}

const dedupe = (xs: string[]) => [...new Set(xs)];
const sameSet = (a: string[], b: string[]) => {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
};

/** What a reply changes on its prospect; unset fields are kept. */
export interface ProspectReplyChanges {
  status?: ProspectStatus | undefined;
  snoozed_until?: string | undefined;
  follow_up_on?: string | undefined;
}

/**
 * Applies what a reply tells about its prospect, in the caller's transaction (`ctx.db` may be one).
 * Fields that already hold the value are not written, and no event is appended when nothing changed.
 * A converted prospect stays converted: a reply does not undo a deal.
 */
export async function applyReplyToProspect(
  ctx: RequestContext,
  prospectId: string,
  changes: ProspectReplyChanges,
): Promise<string[]> {
  return transact(ctx.db, async (trx) => {
    const current = await trx
      .selectFrom('prospects')
      .select(['status', 'snoozed_until', 'follow_up_on'])
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', prospectId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) return [];
    const set: Record<string, string> = {};
    if (changes.status && changes.status !== current.status && current.status !== 'converted')
      set.status = changes.status;
    if (changes.snoozed_until && changes.snoozed_until !== current.snoozed_until)
      set.snoozed_until = changes.snoozed_until;
    if (changes.follow_up_on && changes.follow_up_on !== current.follow_up_on) set.follow_up_on = changes.follow_up_on;
    const changed_fields = Object.keys(set);
    if (!changed_fields.length) return [];
    const now = ctx.clock.now();
    await trx
      .updateTable('prospects')
      .set({ ...set, updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', prospectId)
      .execute();
    await appendEvent(
      trx,
      ctx,
      'prospect.updated',
      { prospect_id: prospectId, changed_fields },
      { at: now, prospectId },
    );
    return changed_fields;
  });
}

/** The prospect with this address, if any. */
export async function findProspectByEmail(
  ctx: Pick<RequestContext, 'db' | 'workspace'>,
  email: string,
): Promise<{ id: string; email: string } | undefined> {
  return ctx.db
    .selectFrom('prospects')
    .select(['id', 'email'])
    .where('workspace_id', '=', ctx.workspace.id)
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
}
