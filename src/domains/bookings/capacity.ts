import { z } from 'zod';
import { AppError } from '../../kernel/errors.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
type Weekday = (typeof WEEKDAYS)[number];
export const SLOT_MINUTES = 15;
const SLOT_MS = SLOT_MINUTES * 60_000;

const Clock = z
  .string()
  .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, 'must be HH:MM (00:00-24:00)')
  .describe('Local time HH:MM in the workspace time zone');
const Period = z
  .object({ open: Clock, close: Clock })
  .strict()
  .refine((p) => p.open < p.close, { message: 'close must be after open (one period never crosses midnight)' });

export const BookingSettings = z
  .object({
    max_covers_per_slot: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .nullable()
      .default(null)
      .describe(
        `Most guests seated at once in any ${SLOT_MINUTES}-minute slot, counting every confirmed booking that holds a table then; null: no limit`,
      ),
    opening_hours: z
      .partialRecord(z.enum(WEEKDAYS), z.array(Period).max(6))
      .nullable()
      .default(null)
      .describe(
        'When bookings may start, per weekday (mon-sun) in the workspace time zone, e.g. {"tue": [{"open": "12:00", "close": "14:00"}, {"open": "19:00", "close": "22:30"}]}; a weekday left out is closed; null: any time',
      ),
  })
  .strict();
export type BookingSettings = z.infer<typeof BookingSettings>;

/** The workspace's booking settings; a malformed stored section counts as none rather than blocking every booking. */
export function bookingSettings(settings: Record<string, unknown>): BookingSettings {
  const parsed = BookingSettings.safeParse(settings.bookings ?? {});
  return parsed.success ? parsed.data : BookingSettings.parse({});
}

/** The weekday and HH:MM of an instant in a time zone. */
export function localTime(at: Date, timeZone: string): { weekday: Weekday; time: string } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    weekday: part('weekday').toLowerCase().slice(0, 3) as Weekday,
    time: `${part('hour')}:${part('minute')}`,
  };
}

/** Refuses a start outside the opening hours (a start at closing time is outside). */
export function checkOpen(settings: BookingSettings, startsAt: Date, timeZone: string): void {
  if (!settings.opening_hours) return;
  const { weekday, time } = localTime(startsAt, timeZone);
  const periods = settings.opening_hours[weekday] ?? [];
  if (periods.some((p) => p.open <= time && time < p.close)) return;
  const hours = periods.length ? periods.map((p) => `${p.open}-${p.close}`).join(', ') : 'closed';
  throw new AppError(
    'invalid_request',
    `starts_at is ${weekday} ${time} (${timeZone}), outside the opening hours for bookings (${weekday}: ${hours})`,
    { param: 'starts_at' },
  );
}

export interface Held {
  starts_at: Date;
  duration_minutes: number;
  party_size: number;
}

/** The 15-minute slots (as ms since the epoch) a booking holds a table in. */
function slots(b: Held): number[] {
  const start = b.starts_at.getTime();
  const end = start + b.duration_minutes * 60_000;
  const out: number[] = [];
  for (let s = Math.floor(start / SLOT_MS) * SLOT_MS; s < end; s += SLOT_MS) out.push(s);
  return out;
}

/**
 * Refuses a booking that would seat more than `max_covers_per_slot` in one of its slots, given the
 * confirmed bookings that overlap it (the booking being changed left out by the caller).
 */
export function checkCapacity(settings: BookingSettings, booking: Held, others: Held[]): void {
  const max = settings.max_covers_per_slot;
  if (max === null) return;
  const covers = new Map<number, number>();
  for (const o of others) for (const s of slots(o)) covers.set(s, (covers.get(s) ?? 0) + o.party_size);
  for (const s of slots(booking)) {
    const taken = covers.get(s) ?? 0;
    if (taken + booking.party_size > max) {
      throw new AppError(
        'conflict',
        `Fully booked at ${new Date(s).toISOString()}: ${Math.max(0, max - taken)} of ${max} covers left in that ${SLOT_MINUTES}-minute slot for a party of ${booking.party_size}; offer another time`,
        { param: 'starts_at' },
      );
    }
  }
}
