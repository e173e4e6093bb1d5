import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/kernel/context.js';
import {
  cancelBooking,
  createBooking,
  getBooking,
  listBookings,
  updateBooking,
  updateBookingSettings,
} from '../../../src/domains/bookings/bookings.service.js';
import { BookingSettings, localTime } from '../../../src/domains/bookings/capacity.js';
import { type TestApp, addKey, addWorkspace, contextFor, createOrg, createTestApp } from '../../helpers/app.js';

const DAY = 24 * 3600 * 1000;
/** An instant `days` from now, written in local time of UTC+01:00 as a guest would give it. */
const inDays = (days: number, hour = 19) => {
  const d = new Date(Date.now() + days * DAY);
  const date = d.toISOString().slice(0, 10);
  return `${date}T${String(hour).padStart(2, '0')}:30:00+01:00`;
};

describe('bookings', () => {
  let t: TestApp;
  let ctx: RequestContext;
  let other: RequestContext;

  const eventsOf = async (bookingId: string) =>
    (
      await t.app.db
        .selectFrom('events')
        .select(['type', 'data'])
        .where('workspace_id', '=', ctx.workspace.id)
        .orderBy('id')
        .execute()
    ).filter((e) => (e.data as { booking_id?: string }).booking_id === bookingId);

  beforeAll(async () => {
    t = await createTestApp();
    const org = await createOrg(t.app);
    const main = await addWorkspace(t.app, org, 'main');
    const second = await addWorkspace(t.app, org, 'second');
    const all = await addKey(t.app, org, ['*'], [main, second]);
    ctx = await contextFor(t.app, all, 'main');
    other = await contextFor(t.app, all, 'second');
  });
  afterAll(() => t?.close());

  it('creates a confirmed booking with defaults, stores the instant in UTC and appends booking.created', async () => {
    const starts = inDays(3);
    const booking = await createBooking(ctx, {
      name: 'Dupont',
      partySize: 4,
      startsAt: starts,
      contact: '+33 6 12 34 56 78',
    });
    expect(booking).toMatchObject({
      name: 'Dupont',
      party_size: 4,
      duration_minutes: 90,
      status: 'confirmed',
      contact: '+33 6 12 34 56 78',
      notes: null,
      conversation_id: null,
      created_by: { type: 'key' },
    });
    expect(booking.id).toMatch(/^bkg_/);
    expect(booking.starts_at).toBe(new Date(starts).toISOString());
    expect(await getBooking(ctx, booking.id)).toEqual(booking);
    expect(await eventsOf(booking.id)).toEqual([
      {
        type: 'booking.created',
        data: { booking_id: booking.id, conversation_id: null, party_size: 4, starts_at: booking.starts_at },
      },
    ]);
  });

  it('refuses a start in the past, a bad contact and an unknown conversation, and writes nothing', async () => {
    const before = await listBookings(ctx, {}, { limit: 100 });
    await expect(createBooking(ctx, { name: 'Late', partySize: 2, startsAt: inDays(-1) })).rejects.toMatchObject({
      code: 'invalid_request',
      details: { param: 'starts_at' },
    });
    await expect(
      createBooking(ctx, { name: 'X', partySize: 2, startsAt: inDays(2), contact: 'call me maybe' }),
    ).rejects.toMatchObject({ code: 'invalid_request', details: { param: 'contact' } });
    await expect(
      createBooking(ctx, { name: 'X', partySize: 2, startsAt: inDays(2), conversationId: 'cnv_missing' }),
    ).rejects.toMatchObject({ code: 'not_found', details: { param: 'conversation_id' } });
    // The database refuses a party the schema would have refused too.
    await expect(createBooking(ctx, { name: 'Crowd', partySize: 51, startsAt: inDays(2) })).rejects.toThrow();
    expect((await listBookings(ctx, {}, { limit: 100 })).items).toEqual(before.items);
  });

  it('changes time, party and notes, naming the fields that changed; an unchanged update writes nothing', async () => {
    const b = await createBooking(ctx, { name: 'Martin', partySize: 2, startsAt: inDays(5), notes: 'window seat' });
    expect(b.notes).toBe('<third_party_content>\nwindow seat\n</third_party_content>');
    const moved = await updateBooking(ctx, b.id, { startsAt: inDays(6, 20), partySize: 3, notes: null });
    expect(moved).toMatchObject({ party_size: 3, notes: null, starts_at: new Date(inDays(6, 20)).toISOString() });
    expect(await updateBooking(ctx, b.id, { partySize: 3 })).toEqual(moved);
    const events = await eventsOf(b.id);
    expect(events.map((e) => e.type)).toEqual(['booking.created', 'booking.updated']);
    expect(events[1]!.data).toMatchObject({ changed_fields: ['party_size', 'starts_at', 'notes'] });
    await expect(updateBooking(ctx, b.id, { startsAt: inDays(-2) })).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(updateBooking(ctx, 'bkg_nope', { partySize: 2 })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('cancels once (a second cancel changes nothing); a cancelled or started booking cannot be changed', async () => {
    const b = await createBooking(ctx, { name: 'Bernard', partySize: 6, startsAt: inDays(4) });
    const cancelled = await cancelBooking(ctx, b.id, 'guest called');
    expect(cancelled).toMatchObject({ status: 'cancelled' });
    expect(cancelled.cancelled_at).not.toBeNull();
    expect(await cancelBooking(ctx, b.id)).toEqual(cancelled);
    expect((await eventsOf(b.id)).map((e) => e.type)).toEqual(['booking.created', 'booking.cancelled']);
    await expect(updateBooking(ctx, b.id, { partySize: 2 })).rejects.toMatchObject({ code: 'conflict' });

    const soon = await createBooking(ctx, { name: 'Soon', partySize: 2, startsAt: inDays(1) });
    const later = { ...ctx, clock: { now: () => new Date(Date.now() + 3 * DAY) } } as RequestContext;
    await expect(updateBooking(later, soon.id, { partySize: 3 })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('lists by start time within a range and status, pages with a cursor, and never across workspaces', async () => {
    const ws = await createBooking(other, { name: 'Elsewhere', partySize: 2, startsAt: inDays(3) });
    const all = await listBookings(ctx, {}, { limit: 100 });
    const starts = all.items.map((b) => b.starts_at);
    expect(starts).toEqual([...starts].sort());
    expect(all.items.map((b) => b.id)).not.toContain(ws.id);
    await expect(getBooking(ctx, ws.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(cancelBooking(ctx, ws.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(updateBooking(ctx, ws.id, { partySize: 3 })).rejects.toMatchObject({ code: 'not_found' });

    const range = await listBookings(ctx, { from: inDays(3, 0), to: inDays(5, 23) }, {});
    expect(range.items.length).toBeGreaterThan(0);
    for (const b of range.items) {
      expect(b.starts_at >= new Date(inDays(3, 0)).toISOString()).toBe(true);
      expect(b.starts_at < new Date(inDays(5, 23)).toISOString()).toBe(true);
    }
    const cancelled = await listBookings(ctx, { status: 'cancelled' }, {});
    expect(cancelled.items.map((b) => b.name)).toEqual(['Bernard']);

    const first = await listBookings(ctx, {}, { limit: 2 });
    expect(first.has_more).toBe(true);
    const rest = await listBookings(ctx, {}, { limit: 100, cursor: first.next_cursor! });
    expect([...first.items, ...rest.items].map((b) => b.id)).toEqual(all.items.map((b) => b.id));
    await expect(listBookings(ctx, { status: 'confirmed' }, { cursor: first.next_cursor! })).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(listBookings(ctx, { from: inDays(5), to: inDays(3) }, {})).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });

  it('keeps to the opening hours and the covers per 15-minute slot of the workspace settings', async () => {
    const org = await createOrg(t.app, 'Bistro');
    const ws = await addWorkspace(t.app, org, 'bistro');
    // A fixed UTC+01:00 zone, so "19:30+01:00" is 19:30 there whatever the season.
    await t.app.db.updateTable('workspaces').set({ timezone: 'Etc/GMT-1' }).where('id', '=', ws.id).execute();
    const key = await addKey(t.app, org, ['*'], [ws]);
    const day = inDays(10).slice(0, 10);
    const local = (time: string, d = day) => `${d}T${time}:00+01:00`;
    const weekday = localTime(new Date(local('19:30')), 'Etc/GMT-1').weekday;
    await updateBookingSettings(await contextFor(t.app, key), {
      max_covers_per_slot: 10,
      opening_hours: { [weekday]: [{ open: '19:00', close: '22:00' }] },
    });
    const c = await contextFor(t.app, key);
    const book = (time: string, partySize: number, d = day) =>
      createBooking(c, { name: `p${partySize}`, partySize, startsAt: local(time, d) });

    const six = await book('19:30', 6);
    await expect(book('20:00', 5)).rejects.toMatchObject({
      code: 'conflict',
      message: /Fully booked at .*4 of 10 covers left/,
    });
    const four = await book('20:00', 4);
    await book('21:00', 1); // 19:30 + 90 min has ended by 21:00: only the party of 4 is seated then
    await expect(book('18:30', 2)).rejects.toMatchObject({
      code: 'invalid_request',
      message: /outside the opening hours/,
    });
    await expect(book('22:00', 2)).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(book('19:30', 2, inDays(11).slice(0, 10))).rejects.toMatchObject({ message: /: closed\)/ });

    await cancelBooking(c, six.id);
    await book('20:00', 5);
    await expect(updateBooking(c, four.id, { partySize: 6 })).rejects.toMatchObject({ code: 'conflict' });
    // Moved past the party of 5, it fits again; its own covers are not counted against it.
    expect((await updateBooking(c, four.id, { startsAt: local('21:30') })).starts_at).toBe(
      new Date(local('21:30')).toISOString(),
    );
    expect((await updateBooking(c, four.id, { partySize: 9 })).party_size).toBe(9); // 9 + the party of 1 = 10

    // Two guests racing for the last 5 covers at 20:00: one gets them, the other is told it is full.
    const race = await Promise.allSettled([book('19:00', 5), book('19:00', 5)]);
    expect(race.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((race.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({
      code: 'conflict',
    });
    expect(BookingSettings.safeParse({ opening_hours: { mon: [{ open: '23:00', close: '22:00' }] } }).success).toBe(
      false,
    );
    expect(BookingSettings.safeParse({ opening_hours: { mon: [{ open: '7:00', close: '22:00' }] } }).success).toBe(
      false,
    );
    expect(BookingSettings.safeParse({ opening_hours: { monday: [] } }).success).toBe(false);
  });
});
