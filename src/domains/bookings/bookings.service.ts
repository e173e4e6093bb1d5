import { type Kysely, sql } from 'kysely';
import type { Database } from '../../adapters/db/schema.js';
import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { appendEvent } from '../../kernel/outbox.js';
import { type Keyset, type Page, type PageRequest, keysetPage } from '../../kernel/pagination.js';
import { transact } from '../../kernel/transact.js';
import { getConversation } from '../conversations/index.js';
import { writeSettingsSection } from '../tenancy/index.js';
import type { Workspace } from '../../kernel/context.js';
import { type BookingSettings, type Held, bookingSettings, checkCapacity, checkOpen } from './capacity.js';
import {
  BOOKING_COLUMNS,
  type Booking,
  type BookingRow,
  DEFAULT_DURATION_MINUTES,
  isContact,
  toBooking,
} from './bookings.model.js';

export interface NewBooking {
  conversationId?: string | undefined;
  name: string;
  partySize: number;
  /** ISO 8601 with an offset; checked by the operation's schema. */
  startsAt: string;
  durationMinutes?: number | undefined;
  contact?: string | undefined;
  notes?: string | undefined;
}

export interface BookingChanges {
  name?: string | undefined;
  partySize?: number | undefined;
  startsAt?: string | undefined;
  durationMinutes?: number | undefined;
  contact?: string | null | undefined;
  notes?: string | null | undefined;
}

export interface BookingFilters {
  from?: string | undefined;
  to?: string | undefined;
  status?: Booking['status'] | undefined;
  conversation_id?: string | undefined;
}

const notFound = (id: string) => new AppError('not_found', `Booking ${id} not found`, { param: 'booking_id' });

/** A start time that is a real instant still ahead: a booking in the past is a mistake (often a wrong year or offset). */
function futureStart(ctx: RequestContext, startsAt: string): Date {
  const at = new Date(startsAt);
  if (Number.isNaN(at.getTime()))
    throw new AppError('invalid_request', 'starts_at is not a valid date-time', { param: 'starts_at' });
  const now = ctx.clock.now();
  if (at.getTime() <= now.getTime()) {
    throw new AppError(
      'invalid_request',
      `starts_at ${startsAt} is not in the future (now is ${now.toISOString()}): check the date, the year and the UTC offset`,
      { param: 'starts_at' },
    );
  }
  return at;
}

function checkContact(contact: string | null | undefined): void {
  if (contact != null && !isContact(contact))
    throw new AppError('invalid_request', 'contact must be a phone number (digits, +, spaces) or an email address', {
      param: 'contact',
    });
}

/**
 * Checks the workspace's opening hours and covers per slot for `booking` (leaving out `exceptId`, the
 * booking being changed). Bookings of one workspace are checked one at a time (a transaction-scoped
 * advisory lock), so two guests cannot both take the last covers.
 */
async function checkRules(trx: Kysely<Database>, ctx: RequestContext, booking: Held, exceptId?: string) {
  const settings = bookingSettings(ctx.workspace.settings);
  checkOpen(settings, booking.starts_at, ctx.workspace.timezone);
  if (settings.max_covers_per_slot === null) return;
  await sql`select pg_advisory_xact_lock(hashtext(${`switchboard.bookings:${ctx.workspace.id}`}))`.execute(trx);
  const end = new Date(booking.starts_at.getTime() + booking.duration_minutes * 60_000);
  let q = trx
    .selectFrom('bookings')
    .select(['starts_at', 'duration_minutes', 'party_size'])
    .where('workspace_id', '=', ctx.workspace.id)
    .where('status', '=', 'confirmed')
    .where('starts_at', '<', end)
    // The longest hold is 720 minutes: a bound the (workspace_id, starts_at) index can use.
    .where('starts_at', '>', new Date(booking.starts_at.getTime() - 720 * 60_000))
    .where(sql<boolean>`starts_at + duration_minutes * interval '1 minute' > ${booking.starts_at}`);
  if (exceptId) q = q.where('id', '!=', exceptId);
  checkCapacity(settings, booking, await q.execute());
}

/** Books a table (or any slot): confirmed at once, `booking.created` in the outbox. */
export async function createBooking(ctx: RequestContext, input: NewBooking): Promise<Booking> {
  const startsAt = futureStart(ctx, input.startsAt);
  checkContact(input.contact);
  if (input.conversationId) await getConversation(ctx, input.conversationId);
  const now = ctx.clock.now();
  const durationMinutes = input.durationMinutes ?? DEFAULT_DURATION_MINUTES;
  return transact(ctx.db, async (trx) => {
    await checkRules(trx, ctx, { starts_at: startsAt, duration_minutes: durationMinutes, party_size: input.partySize });
    const row = await trx
      .insertInto('bookings')
      .values({
        workspace_id: ctx.workspace.id,
        id: newId('bkg', now),
        conversation_id: input.conversationId ?? null,
        name: input.name,
        party_size: input.partySize,
        starts_at: startsAt,
        duration_minutes: durationMinutes,
        contact: input.contact ?? null,
        notes: input.notes ?? null,
        status: 'confirmed',
        created_by_type: ctx.actor.type,
        created_by_id: ctx.actor.id,
        cancelled_at: null,
        created_at: now,
        updated_at: now,
      })
      .returning(BOOKING_COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(
      trx,
      ctx,
      'booking.created',
      {
        booking_id: row.id,
        conversation_id: row.conversation_id,
        party_size: row.party_size,
        starts_at: row.starts_at.toISOString(),
      },
      { at: now },
    );
    return toBooking(row);
  });
}

/** Bookings by start time, earliest first, so the next service reads top down. */
const byStart: Keyset<BookingRow> = {
  columns: ['starts_at', 'id'],
  direction: 'asc',
  position: (r) => [r.starts_at.toISOString(), r.id],
  parse: ([startsAt, id]) => {
    const at = typeof startsAt === 'string' ? new Date(startsAt) : undefined;
    const year = at?.getUTCFullYear() ?? Number.NaN;
    if (!at || !(year >= 1 && year <= 9999) || typeof id !== 'string')
      throw new AppError(
        'invalid_request',
        'cursor is not valid: pass next_cursor exactly as a previous page returned it',
        {
          param: 'cursor',
        },
      );
    return [at, id];
  },
};

/** Bookings starting in [from, to), earliest first. */
export async function listBookings(
  ctx: RequestContext,
  filters: BookingFilters,
  page: PageRequest,
): Promise<Page<Booking>> {
  if (filters.from && filters.to && new Date(filters.from) >= new Date(filters.to))
    throw new AppError('invalid_request', 'from must be before to', { param: 'to' });
  if (filters.conversation_id) await getConversation(ctx, filters.conversation_id);
  let q = ctx.db.selectFrom('bookings').select(BOOKING_COLUMNS).where('workspace_id', '=', ctx.workspace.id);
  if (filters.from) q = q.where('starts_at', '>=', new Date(filters.from));
  if (filters.to) q = q.where('starts_at', '<', new Date(filters.to));
  if (filters.status) q = q.where('status', '=', filters.status);
  if (filters.conversation_id) q = q.where('conversation_id', '=', filters.conversation_id);
  return keysetPage(q, byStart, page, filters, toBooking);
}

export async function getBooking(ctx: RequestContext, bookingId: string): Promise<Booking> {
  const row = await ctx.db
    .selectFrom('bookings')
    .select(BOOKING_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', bookingId)
    .executeTakeFirst();
  if (!row) throw notFound(bookingId);
  return toBooking(row);
}

async function lockBooking(trx: Kysely<Database>, ctx: RequestContext, bookingId: string): Promise<BookingRow> {
  const row = await trx
    .selectFrom('bookings')
    .select(BOOKING_COLUMNS)
    .where('workspace_id', '=', ctx.workspace.id)
    .where('id', '=', bookingId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound(bookingId);
  return row;
}

/** Changes a confirmed booking that has not started yet; `booking.updated` names the fields that changed. */
export async function updateBooking(ctx: RequestContext, bookingId: string, changes: BookingChanges): Promise<Booking> {
  const startsAt = changes.startsAt === undefined ? undefined : futureStart(ctx, changes.startsAt);
  checkContact(changes.contact);
  const now = ctx.clock.now();
  return transact(ctx.db, async (trx) => {
    const row = await lockBooking(trx, ctx, bookingId);
    if (row.status !== 'confirmed')
      throw new AppError('conflict', `Booking ${bookingId} is cancelled; make a new booking instead`, {
        param: 'booking_id',
      });
    if (row.starts_at.getTime() <= now.getTime())
      throw new AppError('conflict', `Booking ${bookingId} has already started; it can no longer be changed`, {
        param: 'booking_id',
      });
    const next = {
      name: changes.name ?? row.name,
      party_size: changes.partySize ?? row.party_size,
      starts_at: startsAt ?? row.starts_at,
      duration_minutes: changes.durationMinutes ?? row.duration_minutes,
      contact: changes.contact === undefined ? row.contact : changes.contact,
      notes: changes.notes === undefined ? row.notes : changes.notes,
    };
    const changed = (Object.keys(next) as (keyof typeof next)[]).filter((k) =>
      k === 'starts_at' ? next.starts_at.getTime() !== row.starts_at.getTime() : next[k] !== row[k],
    );
    if (!changed.length) return toBooking(row);
    if (changed.some((k) => k === 'starts_at' || k === 'party_size' || k === 'duration_minutes'))
      await checkRules(trx, ctx, next, row.id);
    const updated = await trx
      .updateTable('bookings')
      .set({ ...next, updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', row.id)
      .returning(BOOKING_COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(
      trx,
      ctx,
      'booking.updated',
      { booking_id: row.id, changed_fields: changed, starts_at: updated.starts_at.toISOString() },
      { at: now },
    );
    return toBooking(updated);
  });
}

/** Cancels a booking; cancelling one already cancelled returns it unchanged, with no second event. */
export async function cancelBooking(ctx: RequestContext, bookingId: string, reason?: string): Promise<Booking> {
  const now = ctx.clock.now();
  return transact(ctx.db, async (trx) => {
    const row = await lockBooking(trx, ctx, bookingId);
    if (row.status === 'cancelled') return toBooking(row);
    const updated = await trx
      .updateTable('bookings')
      .set({ status: 'cancelled', cancelled_at: now, updated_at: now })
      .where('workspace_id', '=', ctx.workspace.id)
      .where('id', '=', row.id)
      .returning(BOOKING_COLUMNS)
      .executeTakeFirstOrThrow();
    await appendEvent(
      trx,
      ctx,
      'booking.cancelled',
      { booking_id: row.id, starts_at: row.starts_at.toISOString(), reason: reason ?? null },
      { at: now },
    );
    return toBooking(updated);
  });
}

/** Sets the opening hours and covers per slot that bookings are checked against. */
export async function updateBookingSettings(ctx: RequestContext, settings: BookingSettings): Promise<Workspace> {
  const now = ctx.clock.now();
  return transact(ctx.db, async (trx) => {
    const workspace = await writeSettingsSection(trx, ctx.workspace.id, 'bookings', settings, 'replace', now);
    await appendEvent(trx, ctx, 'workspace.settings_updated', { section: 'bookings' }, { at: now });
    return workspace;
  }).finally(() => ctx.workspaceCache.forget(ctx.workspace.id));
}
