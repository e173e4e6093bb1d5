import { z } from 'zod';
import { defineOperation } from '../../operations/define.js';
import { CursorInput, LimitInput, oneLine, pageOutput, toPageOutput } from '../../operations/inputs.js';
import { destructive, idempotentWrite, readOnly, write } from '../../operations/presets.js';
import { THIRD_PARTY_NOTE } from '../../kernel/untrusted.js';
import { BOOKING_STATUSES, Booking, MAX_NOTES_CHARS, MAX_PARTY_SIZE } from './bookings.model.js';
import * as bookings from './bookings.service.js';
import { BookingSettings } from './capacity.js';
import { Workspace } from '../tenancy/index.js';

const BookingId = z
  .string()
  .min(1)
  .max(64)
  .describe('Booking id (bkg_...), as returned by create_booking or list_bookings');
const DateTimeInput = z.iso.datetime({ offset: true });
const StartsAt = DateTimeInput.describe(
  'When it starts: ISO 8601 with the UTC offset of the place, e.g. 2026-12-24T19:30:00+01:00; must be in the future',
);
const PartySize = z.number().int().min(1).max(MAX_PARTY_SIZE).describe(`Number of guests, 1-${MAX_PARTY_SIZE}`);
const DurationMinutes = z.number().int().min(15).max(720).describe('How long the table is held, in minutes (15-720)');
const Name = oneLine(z.string().trim().min(1).max(200)).describe('The name the booking is under');
const Contact = oneLine(z.string().trim().min(3).max(254)).describe(
  'A phone number or an email address to reach the guest',
);
const Notes = z
  .string()
  .trim()
  .max(MAX_NOTES_CHARS)
  .describe(`Anything the guest asked for (high chair, terrace), up to ${MAX_NOTES_CHARS} characters`);

const createBooking = defineOperation({
  name: 'create_booking',
  title: 'Create booking',
  toolset: 'bookings',
  scope: 'bookings:write',
  description:
    'Book a table: confirmed at once. Confirm name, date, time, party size and a contact with the guest before calling. ' +
    'Pass conversation_id when the booking comes from a conversation. Fails with invalid_request when starts_at is not in ' +
    'the future or outside the opening hours, or the party is too large; with conflict when that time is fully booked ' +
    '(offer another time). Returns the booking.',
  input: z.object({
    conversation_id: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('The conversation (agent session, cnv_...) the booking was taken in'),
    name: Name,
    party_size: PartySize,
    starts_at: StartsAt,
    duration_minutes: DurationMinutes.optional().describe(
      'How long the table is held, in minutes (15-720; default 90)',
    ),
    contact: Contact.optional(),
    notes: Notes.optional(),
  }),
  output: z.object({ booking: Booking }),
  annotations: write,
  http: { method: 'POST', path: '/bookings', status: 201 },
  handler: async (ctx, { conversation_id, party_size, starts_at, duration_minutes, ...rest }) => ({
    booking: await bookings.createBooking(ctx, {
      ...rest,
      conversationId: conversation_id,
      partySize: party_size,
      startsAt: starts_at,
      durationMinutes: duration_minutes,
    }),
  }),
});

const listBookings = defineOperation({
  name: 'list_bookings',
  title: 'List bookings',
  toolset: 'bookings',
  scope: 'bookings:read',
  description:
    'Bookings by start time, earliest first. Filter by a start range (from inclusive, to exclusive), status or ' +
    `conversation. Paginated with cursor. ${THIRD_PARTY_NOTE}`,
  input: z.object({
    from: DateTimeInput.optional().describe('Only bookings starting at or after this instant (ISO 8601 with offset)'),
    to: DateTimeInput.optional().describe('Only bookings starting before this instant (ISO 8601 with offset)'),
    status: z.enum(BOOKING_STATUSES).optional().describe('Only confirmed or only cancelled bookings'),
    conversation_id: z.string().min(1).max(64).optional().describe('Only those taken in this conversation'),
    cursor: CursorInput,
    limit: LimitInput,
  }),
  output: pageOutput('bookings', Booking),
  annotations: readOnly,
  http: { method: 'GET', path: '/bookings' },
  handler: async (ctx, { cursor, limit, ...filters }) =>
    toPageOutput('bookings', await bookings.listBookings(ctx, filters, { cursor, limit })),
});

const getBooking = defineOperation({
  name: 'get_booking',
  title: 'Get booking',
  toolset: 'bookings',
  scope: 'bookings:read',
  description: `Read one booking. ${THIRD_PARTY_NOTE}`,
  input: z.object({ booking_id: BookingId }),
  output: z.object({ booking: Booking }),
  annotations: readOnly,
  http: { method: 'GET', path: '/bookings/{booking_id}' },
  handler: async (ctx, { booking_id }) => ({ booking: await bookings.getBooking(ctx, booking_id) }),
});

const updateBooking = defineOperation({
  name: 'update_booking',
  title: 'Update booking',
  toolset: 'bookings',
  scope: 'bookings:write',
  description:
    'Change a confirmed booking that has not started: time, party size, duration, name, contact or notes (null clears ' +
    'contact or notes). Confirm the change with the guest first. Fails with conflict when the booking is cancelled or ' +
    'has started or the new time or party does not fit (fully booked), invalid_request when the new time is not in the ' +
    'future or outside the opening hours. Returns the booking.',
  input: z.object({
    booking_id: BookingId,
    name: Name.optional(),
    party_size: PartySize.optional(),
    starts_at: StartsAt.optional(),
    duration_minutes: DurationMinutes.optional(),
    contact: Contact.nullable().optional().describe('A phone number or an email address; null clears it'),
    notes: Notes.nullable()
      .optional()
      .describe(`What the guest asked for, up to ${MAX_NOTES_CHARS} characters; null clears it`),
  }),
  output: z.object({ booking: Booking }),
  annotations: idempotentWrite,
  http: { method: 'PATCH', path: '/bookings/{booking_id}' },
  handler: async (ctx, { booking_id, party_size, starts_at, duration_minutes, ...rest }) => ({
    booking: await bookings.updateBooking(ctx, booking_id, {
      ...rest,
      partySize: party_size,
      startsAt: starts_at,
      durationMinutes: duration_minutes,
    }),
  }),
});

const cancelBooking = defineOperation({
  name: 'cancel_booking',
  title: 'Cancel booking',
  toolset: 'bookings',
  scope: 'bookings:write',
  description:
    'Cancel a booking when the guest asks to; it cannot be reinstated (make a new booking instead). Cancelling one ' +
    'already cancelled changes nothing. Returns the booking.',
  input: z.object({
    booking_id: BookingId,
    reason: oneLine(z.string().trim().min(1).max(500)).optional().describe('Why, in one line'),
  }),
  output: z.object({ booking: Booking }),
  // A cancelled booking cannot be reinstated (its table may be given away): a new booking is needed.
  annotations: { ...destructive, idempotentHint: true },
  http: { method: 'POST', path: '/bookings/{booking_id}/cancel' },
  handler: async (ctx, { booking_id, reason }) => ({ booking: await bookings.cancelBooking(ctx, booking_id, reason) }),
});

const updateBookingSettings = defineOperation({
  name: 'update_booking_settings',
  title: 'Update booking settings',
  toolset: 'admin',
  scope: 'admin',
  mcp: false,
  description:
    'Set what bookings are checked against: the opening hours per weekday (in the workspace time zone) and the most ' +
    'guests seated at once per 15-minute slot. Replaces the whole bookings settings object.',
  input: z.object({ bookings: BookingSettings.describe('The booking settings') }),
  output: z.object({ workspace: Workspace }),
  annotations: idempotentWrite,
  http: { method: 'PUT', path: '/workspaces/{workspace_id}/bookings' },
  handler: async (ctx, { bookings: settings }) => ({
    workspace: await bookings.updateBookingSettings(ctx, settings),
  }),
});

export const bookingOperations = [
  createBooking,
  listBookings,
  getBooking,
  updateBooking,
  cancelBooking,
  updateBookingSettings,
];
