import { describe, expect, it } from 'vitest';
import { inWindow, nextWindowStart, sendingDay, startOfLocalDay } from '../../../src/domains/outreach/send-window.js';
import { OutreachSettings, outreachSettings } from '../../../src/domains/outreach/settings.model.js';

const PARIS = 'Europe/Paris';
const NEW_YORK = 'America/New_York';
const ALL_DAYS = [1, 2, 3, 4, 5, 6, 7];
const WEEKDAYS = [1, 2, 3, 4, 5];
const window = (start: string, end: string, days = ALL_DAYS) => ({ start, end, days });
const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;

// Fixed instants. 2026-11-27 is a Friday; Paris is UTC+1 in winter, UTC+2 in summer.
// Paris springs forward on 2026-03-29 at 01:00Z (02:00 CET → 03:00 CEST) and falls back on
// 2026-10-25 at 01:00Z (03:00 CEST → 02:00 CET). New York springs forward on 2026-03-08 at 07:00Z
// (02:00 EST → 03:00 EDT) and falls back on 2026-11-01 at 06:00Z (02:00 EDT → 01:00 EST).

describe('a window inside one day', () => {
  const office = window('09:00', '17:00', WEEKDAYS);

  it('is open from start to end (exclusive) on its days, in the time zone', () => {
    expect(inWindow(at('2026-11-27T08:00:00Z'), PARIS, office)).toBe(true); // Fri 09:00
    expect(inWindow(at('2026-11-27T07:59:59Z'), PARIS, office)).toBe(false);
    expect(inWindow(at('2026-11-27T15:59:59Z'), PARIS, office)).toBe(true);
    expect(inWindow(at('2026-11-27T16:00:00Z'), PARIS, office)).toBe(false); // Fri 17:00
    expect(inWindow(at('2026-11-28T10:00:00Z'), PARIS, office)).toBe(false); // Saturday
  });

  it('is always open without a window', () => {
    expect(inWindow(at('2026-11-28T03:00:00Z'), PARIS, undefined)).toBe(true);
    expect(iso(nextWindowStart(at('2026-11-28T03:00:00Z'), PARIS, undefined))).toBe('2026-11-28T03:00:00.000Z');
  });

  it('opens next at the coming start, skipping days not listed', () => {
    expect(iso(nextWindowStart(at('2026-11-27T12:00:00Z'), PARIS, office))).toBe('2026-11-27T12:00:00.000Z'); // inside: now
    expect(iso(nextWindowStart(at('2026-11-27T05:00:00Z'), PARIS, office))).toBe('2026-11-27T08:00:00.000Z');
    expect(iso(nextWindowStart(at('2026-11-27T17:00:00Z'), PARIS, office))).toBe('2026-11-30T08:00:00.000Z'); // Monday
  });
});

describe('a window crossing midnight belongs to the day it starts on', () => {
  const fridayNight = window('22:00', '06:00', [5]);

  it('runs Friday 22:00 to Saturday 06:00, and not on Thursday or Saturday night', () => {
    expect(inWindow(at('2026-11-27T20:59:00Z'), PARIS, fridayNight)).toBe(false); // Fri 21:59
    expect(inWindow(at('2026-11-27T21:00:00Z'), PARIS, fridayNight)).toBe(true); // Fri 22:00
    expect(inWindow(at('2026-11-27T22:30:00Z'), PARIS, fridayNight)).toBe(true); // Fri 23:30
    expect(inWindow(at('2026-11-27T23:00:00Z'), PARIS, fridayNight)).toBe(true); // Sat 00:00
    expect(inWindow(at('2026-11-28T04:59:59Z'), PARIS, fridayNight)).toBe(true); // Sat 05:59:59
    expect(inWindow(at('2026-11-28T05:00:00Z'), PARIS, fridayNight)).toBe(false); // Sat 06:00
    expect(inWindow(at('2026-11-28T22:00:00Z'), PARIS, fridayNight)).toBe(false); // Sat 23:00
    expect(inWindow(at('2026-11-26T22:30:00Z'), PARIS, fridayNight)).toBe(false); // Thu 23:30
    expect(inWindow(at('2026-11-27T02:00:00Z'), PARIS, fridayNight)).toBe(false); // Fri 03:00, Thursday's night
  });

  it('wraps from Sunday night into Monday morning', () => {
    const sundayNight = window('22:00', '06:00', [7]);
    expect(inWindow(at('2026-11-30T04:00:00Z'), PARIS, sundayNight)).toBe(true); // Mon 05:00
    expect(inWindow(at('2026-11-29T04:00:00Z'), PARIS, sundayNight)).toBe(false); // Sun 05:00, Saturday's night
  });

  it('may end at midnight', () => {
    const evening = window('20:00', '00:00');
    expect(inWindow(at('2026-11-27T22:59:59Z'), PARIS, evening)).toBe(true); // 23:59:59
    expect(inWindow(at('2026-11-27T23:00:00Z'), PARIS, evening)).toBe(false); // 00:00
  });

  it('opens next at the coming start, from before, between and after occurrences', () => {
    expect(iso(nextWindowStart(at('2026-11-27T11:00:00Z'), PARIS, fridayNight))).toBe('2026-11-27T21:00:00.000Z');
    expect(iso(nextWindowStart(at('2026-11-28T02:00:00Z'), PARIS, fridayNight))).toBe('2026-11-28T02:00:00.000Z'); // inside
    expect(iso(nextWindowStart(at('2026-11-28T11:00:00Z'), PARIS, fridayNight))).toBe('2026-12-04T21:00:00.000Z'); // next Friday
  });
});

describe('DST changes', () => {
  it('a start in the skipped hour opens at the first instant after it', () => {
    const early = window('02:30', '05:00', [7]);
    expect(iso(nextWindowStart(at('2026-03-28T12:00:00Z'), PARIS, early))).toBe('2026-03-29T01:00:00.000Z'); // 03:00 CEST
    expect(inWindow(at('2026-03-29T00:59:59Z'), PARIS, early)).toBe(false); // 01:59:59 CET
    expect(inWindow(at('2026-03-29T01:00:00Z'), PARIS, early)).toBe(true);
    expect(inWindow(at('2026-03-29T02:59:59Z'), PARIS, early)).toBe(true); // 04:59:59 CEST
    expect(inWindow(at('2026-03-29T03:00:00Z'), PARIS, early)).toBe(false); // 05:00 CEST

    const ny = window('02:15', '03:30', [7]);
    expect(iso(nextWindowStart(at('2026-03-07T12:00:00Z'), NEW_YORK, ny))).toBe('2026-03-08T07:00:00.000Z'); // 03:00 EDT
    expect(inWindow(at('2026-03-08T07:29:59Z'), NEW_YORK, ny)).toBe(true);
    expect(inWindow(at('2026-03-08T07:30:00Z'), NEW_YORK, ny)).toBe(false); // 03:30 EDT
  });

  it('a window wholly inside the skipped hour does not open that day', () => {
    const gap = window('02:00', '02:30');
    expect(iso(nextWindowStart(at('2026-03-28T12:00:00Z'), PARIS, gap))).toBe('2026-03-30T00:00:00.000Z'); // Mon 02:00 CEST
    expect(inWindow(at('2026-03-29T01:00:00Z'), PARIS, gap)).toBe(false);
  });

  it('a night ending in the skipped hour ends when the clocks jump', () => {
    const night = window('22:00', '02:30', [6]);
    expect(inWindow(at('2026-03-29T00:59:59Z'), PARIS, night)).toBe(true); // Sun 01:59:59 CET
    expect(inWindow(at('2026-03-29T01:00:00Z'), PARIS, night)).toBe(false); // Sun 03:00 CEST
  });

  it('a repeated hour does not open the window a second time', () => {
    const paris = window('01:00', '02:30', [7]);
    expect(inWindow(at('2026-10-25T00:15:00Z'), PARIS, paris)).toBe(true); // 02:15 CEST
    expect(inWindow(at('2026-10-25T00:45:00Z'), PARIS, paris)).toBe(false); // 02:45 CEST
    expect(inWindow(at('2026-10-25T01:15:00Z'), PARIS, paris)).toBe(false); // 02:15 CET, the repeat
    expect(iso(nextWindowStart(at('2026-10-25T00:45:00Z'), PARIS, paris))).toBe('2026-11-01T00:00:00.000Z');

    const ny = window('01:00', '01:30', [7]);
    expect(inWindow(at('2026-11-01T05:10:00Z'), NEW_YORK, ny)).toBe(true); // 01:10 EDT
    expect(inWindow(at('2026-11-01T06:10:00Z'), NEW_YORK, ny)).toBe(false); // 01:10 EST, the repeat
  });

  it('a window starting in the repeated hour opens once, at the first of the two', () => {
    const paris = window('02:30', '04:00', [7]);
    expect(iso(nextWindowStart(at('2026-10-24T12:00:00Z'), PARIS, paris))).toBe('2026-10-25T00:30:00.000Z'); // 02:30 CEST
    expect(inWindow(at('2026-10-25T01:10:00Z'), PARIS, paris)).toBe(true); // 02:10 CET: still the same window
    expect(inWindow(at('2026-10-25T02:59:59Z'), PARIS, paris)).toBe(true); // 03:59:59 CET
    expect(inWindow(at('2026-10-25T03:00:00Z'), PARIS, paris)).toBe(false);
  });

  it('the local day starts at its real midnight on 23 h and 25 h days', () => {
    expect(iso(startOfLocalDay(at('2026-03-29T10:00:00Z'), PARIS))).toBe('2026-03-28T23:00:00.000Z');
    expect(iso(startOfLocalDay(at('2026-10-25T11:00:00Z'), PARIS))).toBe('2026-10-24T22:00:00.000Z');
    expect(iso(startOfLocalDay(at('2026-03-08T17:00:00Z'), NEW_YORK))).toBe('2026-03-08T05:00:00.000Z');
    expect(iso(startOfLocalDay(at('2026-11-01T17:00:00Z'), NEW_YORK))).toBe('2026-11-01T04:00:00.000Z');
    expect(iso(startOfLocalDay(at('2026-11-27T12:34:56.789Z'), 'UTC'))).toBe('2026-11-27T00:00:00.000Z');
  });

  it('a day whose midnight is skipped starts at the first instant after it', () => {
    // Chile moves from 24:00 on Saturday to 01:00 on Sunday.
    expect(iso(startOfLocalDay(at('2026-09-06T16:00:00Z'), 'America/Santiago'))).toBe('2026-09-06T04:00:00.000Z');
  });
});

describe('the sending day of the daily cap', () => {
  it('is the calendar day without a window, and the next one starts at its real midnight', () => {
    const day = sendingDay(at('2026-10-25T11:00:00Z'), PARIS, undefined); // a 25 h day
    expect({ start: iso(day.start), next: iso(day.next) }).toEqual({
      start: '2026-10-24T22:00:00.000Z',
      next: '2026-10-25T23:00:00.000Z',
    });
  });

  it('is the day a night window started on, and the next one opens with the next night', () => {
    const nights = window('22:00', '06:00', WEEKDAYS);
    const friday = { start: '2026-11-26T23:00:00.000Z', next: '2026-11-30T21:00:00.000Z' }; // Fri 00:00; Mon 22:00
    for (const when of ['2026-11-27T22:30:00Z', '2026-11-28T01:00:00Z']) {
      const day = sendingDay(at(when), PARIS, nights);
      expect({ start: iso(day.start), next: iso(day.next) }).toEqual(friday);
    }
  });
});

describe('a window starting and ending at the same time', () => {
  const settings = { sending_window: { start: '09:00', end: '09:00', days: [1] } };

  it('is refused at input with the field named', () => {
    const parsed = OutreachSettings.safeParse(settings);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({
      path: ['sending_window', 'end'],
      message: expect.stringContaining('same time'),
    });
    expect(OutreachSettings.safeParse({ sending_window: { start: '09:00', end: '09:01', days: [1] } }).success).toBe(
      true,
    );
  });

  it('stored from before, stays an empty window and keeps the other settings', () => {
    const stored = outreachSettings({
      settings: { outreach: { ...settings, sender: { email: 'me@sender.example' }, daily_cap: 5 } },
    });
    expect(stored).toMatchObject({ sender: { email: 'me@sender.example' }, daily_cap: 5 });
    expect(inWindow(at('2026-11-30T08:00:00Z'), 'UTC', stored.sending_window)).toBe(false);
    expect(nextWindowStart(at('2026-11-30T08:00:00Z'), 'UTC', stored.sending_window)).toBeNull();
  });
});
