import type { OutreachSettings } from './settings.model.js';

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

export function localTime(at: Date, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, weekday: WEEKDAYS[p.weekday!]!, minutes: Number(p.hour) * 60 + Number(p.minute), seconds: Number(p.second) };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function inWindow(at: Date, timeZone: string, window: OutreachSettings['sending_window']): boolean {
  if (!window) return true;
  const t = localTime(at, timeZone);
  return window.days.includes(t.weekday) && t.minutes >= toMinutes(window.start) && t.minutes < toMinutes(window.end);
}

const STEP_MS = 60_000;

/** The first minute at or after `from` that is inside the window (within 8 days), else null. */
export function nextWindowStart(from: Date, timeZone: string, window: OutreachSettings['sending_window']): Date | null {
  const start = new Date(Math.ceil(from.getTime() / STEP_MS) * STEP_MS);
  for (let t = start.getTime(); t < start.getTime() + 8 * 86_400_000; t += STEP_MS) {
    if (inWindow(new Date(t), timeZone, window)) return new Date(t);
  }
  return null;
}

/** The instant the local day of `at` began (exact except on days a DST change shifts midnight). */
export function startOfLocalDay(at: Date, timeZone: string): Date {
  const t = localTime(at, timeZone);
  return new Date(at.getTime() - (t.minutes * 60 + t.seconds) * 1000 - at.getMilliseconds());
}
