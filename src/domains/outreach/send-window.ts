import type { OutreachSettings } from './settings.model.js';

type Window = OutreachSettings['sending_window'];

interface LocalTime {
  /** YYYY-MM-DD in the time zone. */
  date: string;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  minutes: number;
  seconds: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(at: Date, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    weekday: WEEKDAYS[p.weekday!]!,
    minutes: Number(p.hour) * 60 + Number(p.minute),
    seconds: Number(p.second),
  };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const DAY_MS = 86_400_000;

/** A local calendar day as the UTC midnight of the same date: day arithmetic without any time zone. */
const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`);
const isoWeekday = (day: number) => ((new Date(day).getUTCDay() + 6) % 7) + 1;

/** The time zone's offset from UTC at `ms`, in milliseconds (whole seconds: Intl shows no more). */
function offsetAt(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  const t = localTime(new Date(whole), timeZone);
  return dayOf(t.date) + (t.minutes * 60 + t.seconds) * 1000 - whole;
}

/**
 * The instant a local wall time names. Across a DST change a wall time can name two instants (the
 * repeated hour: the earlier one is taken, so a window is entered once) or none (the skipped hour:
 * the first valid instant after it, the moment the clocks jump).
 */
function resolveLocal(day: number, minutes: number, timeZone: string): Date {
  const wall = day + minutes * 60_000;
  // Offsets a day apart bracket any one transition; no zone changes twice within two days.
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const candidates = [wall - before, wall - after].filter((ms) => offsetAt(ms, timeZone) === wall - ms);
  if (candidates.length) return new Date(Math.min(...candidates));
  // In the gap: offsets grow here, so the transition lies between these two instants.
  let lo = wall - after;
  let hi = wall - before;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offsetAt(mid, timeZone) === after) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

interface Occurrence {
  /** The local day the window started on: its weekday is the one `days` is checked against. */
  day: number;
  start: Date;
  /** Exclusive. */
  end: Date;
}

/*
 * A window whose end is not after its start crosses midnight (22:00–06:00). It belongs to the day it
 * STARTS on, for `days` and for the daily cap: with days = [5] (Friday) it runs Friday 22:00 to
 * Saturday 06:00, and nothing starts on Saturday night. This is how people say it ("Friday night"),
 * and it keeps one night one window, whatever the calendar does at midnight.
 */
function occurrence(day: number, timeZone: string, window: NonNullable<Window>): Occurrence | null {
  const start = toMinutes(window.start);
  const end = toMinutes(window.end);
  // Refused at input; a stored legacy value means an empty window, as it always did.
  if (start === end || !window.days.includes(isoWeekday(day))) return null;
  return {
    day,
    start: resolveLocal(day, start, timeZone),
    end: resolveLocal(end > start ? day : day + DAY_MS, end, timeZone),
  };
}

/** The window occurrence containing `at`, if any: it started on `at`'s local day or the one before. */
function occurrenceAt(at: Date, timeZone: string, window: NonNullable<Window>): Occurrence | null {
  const today = dayOf(localTime(at, timeZone).date);
  for (const day of [today - DAY_MS, today]) {
    const o = occurrence(day, timeZone, window);
    if (o && o.start <= at && at < o.end) return o;
  }
  return null;
}

/** Whether `at` is inside the sending window (no window: always). */
export function inWindow(at: Date, timeZone: string, window: Window): boolean {
  return !window || occurrenceAt(at, timeZone, window) !== null;
}

/** The first instant at or after `from` that is inside the window (within 8 days), else null. */
export function nextWindowStart(from: Date, timeZone: string, window: Window): Date | null {
  if (inWindow(from, timeZone, window)) return from;
  return firstStartAfter(dayOf(localTime(from, timeZone).date), from, timeZone, window!);
}

function firstStartAfter(fromDay: number, after: Date, timeZone: string, window: NonNullable<Window>): Date | null {
  for (let day = fromDay; day <= fromDay + 8 * DAY_MS; day += DAY_MS) {
    const o = occurrence(day, timeZone, window);
    // A start that is not before its end fell wholly into a skipped hour: nothing to send in.
    if (o && o.start >= after && o.start < o.end) return o.start;
  }
  return null;
}

/** The instant the local day of `at` began: its midnight, or the first instant after it when a DST change skips it. */
export function startOfLocalDay(at: Date, timeZone: string): Date {
  return resolveLocal(dayOf(localTime(at, timeZone).date), 0, timeZone);
}

/** The instant a local calendar day (`YYYY-MM-DD`) begins in the time zone. */
export function startOfDay(date: string, timeZone: string): Date {
  return resolveLocal(dayOf(date), 0, timeZone);
}

/**
 * The sending day `at` falls in, for the daily cap: `start` is when it began (the local midnight of
 * the day the current window started on) and `next` the first instant a later sending day may send.
 */
export function sendingDay(at: Date, timeZone: string, window: Window): { start: Date; next: Date | null } {
  const current = window ? occurrenceAt(at, timeZone, window) : null;
  const day = current?.day ?? dayOf(localTime(at, timeZone).date);
  const start = resolveLocal(day, 0, timeZone);
  if (!window) return { start, next: resolveLocal(day + DAY_MS, 0, timeZone) };
  return { start, next: firstStartAfter(day + DAY_MS, at, timeZone, window) };
}
