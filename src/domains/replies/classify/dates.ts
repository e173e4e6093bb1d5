/**
 * Dates named in a reply, resolved against the day it arrived (in the workspace's time zone): the
 * first day back of an out-of-office, the follow-up date of a not_now. English and French: "March 3",
 * "3 March", "3rd of March", "lundi 3 mars", "03/03" (day first in French, month first in English),
 * "December 4th", weekdays, "next week", "Q3"/"T3", "à la rentrée", "in two weeks".
 * Everything works on normalized text (see normalize.ts) and on calendar days, never on instants.
 */

export interface Day {
  y: number;
  /** 1..12 */
  m: number;
  d: number;
}

/** A date named in the text: where it is, what day it means, and how precise it was. */
export interface DateMention {
  start: number;
  end: number;
  day: Day;
  /** `day`: a day was named; `month`: only a month ("in March", "fin mars"); `week`: "next week"; `dayOfMonth`: only "le 4". */
  precision: 'day' | 'month' | 'week' | 'dayOfMonth';
  /** "end of March", "fin mars": the month is over when the absence is. */
  endOfMonth: boolean;
}

const DAY_MS = 86_400_000;
const utc = (x: Day) => Date.UTC(x.y, x.m - 1, x.d);
const fromUtc = (t: number): Day => {
  const d = new Date(t);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() };
};
export const addDays = (x: Day, n: number): Day => fromUtc(utc(x) + n * DAY_MS);
const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const valid = (y: number, m: number, d: number) => m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
const before = (a: Day, b: Day) => utc(a) < utc(b);
const weekday = (x: Day) => new Date(utc(x)).getUTCDay();

export const isoDay = (x: Day) => `${x.y}-${String(x.m).padStart(2, '0')}-${String(x.d).padStart(2, '0')}`;

function addMonths(x: Day, n: number): Day {
  const months = x.y * 12 + (x.m - 1) + n;
  const y = Math.floor(months / 12);
  const m = (months % 12) + 1;
  return { y, m, d: Math.min(x.d, daysInMonth(y, m)) };
}

/** The calendar day of `at` in `timeZone` (UTC when the zone is unknown). */
export function localDay(at: Date, timeZone: string): Day {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).formatToParts(at);
  } catch {
    return fromUtc(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  }
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { y: get('year'), m: get('month'), d: get('day') };
}

// biome-ignore format: a table reads better packed
const MONTHS: Record<string, number> = {
  january: 1, jan: 1, janvier: 1, janv: 1,
  february: 2, feb: 2, fevrier: 2, fevr: 2, fev: 2,
  march: 3, mar: 3, mars: 3,
  april: 4, apr: 4, avril: 4, avr: 4,
  may: 5, mai: 5,
  june: 6, jun: 6, juin: 6,
  july: 7, jul: 7, juillet: 7, juil: 7,
  august: 8, aug: 8, aout: 8,
  september: 9, sep: 9, sept: 9, septembre: 9,
  october: 10, oct: 10, octobre: 10,
  november: 11, nov: 11, novembre: 11,
  december: 12, dec: 12, decembre: 12,
};

// biome-ignore format: a table reads better packed
const WEEKDAYS: Record<string, number> = {
  sunday: 0, dimanche: 0, monday: 1, lundi: 1, tuesday: 2, mardi: 2, wednesday: 3, mercredi: 3,
  thursday: 4, jeudi: 4, friday: 5, vendredi: 5, saturday: 6, samedi: 6,
};

const alt = (words: string[]) => [...words].sort((a, b) => b.length - a.length).join('|');
const MONTH = `(${alt(Object.keys(MONTHS))})\\.?`;
const WEEKDAY = `(${alt(Object.keys(WEEKDAYS))})`;
const ORD = '(?:st|nd|rd|th|er|eme|e)?';
// biome-ignore format: a table reads better packed
const NUMBERS: Record<string, number> = {
  a: 1, an: 1, one: 1, un: 1, une: 1, two: 2, deux: 2, three: 3, trois: 3, four: 4, quatre: 4,
  five: 5, cinq: 5, six: 6, 'a couple of': 2, quinze: 15,
};

const year = (text: string | undefined, fallback: number) =>
  text === undefined ? fallback : text.length === 2 ? 2000 + Number(text) : Number(text);

/** The day-month without a year, on or after today. */
function nextDayMonth(today: Day, m: number, d: number, y?: number): Day | null {
  if (y !== undefined) return valid(y, m, d) ? { y, m, d } : null;
  for (const cand of [today.y, today.y + 1]) {
    if (valid(cand, m, d) && !before({ y: cand, m, d }, today)) return { y: cand, m, d };
  }
  return null;
}

/** The first day of month `m`, after today (this month counts only for "end of" and "until"). */
function nextMonthStart(today: Day, m: number, thisMonthCounts: boolean): Day {
  const y = m > today.m || (m === today.m && thisMonthCounts) ? today.y : today.y + 1;
  return { y, m, d: 1 };
}

/** The next given weekday strictly after today ("back Monday" said on a Monday means the next one). */
function nextWeekday(today: Day, wd: number): Day {
  const ahead = (wd - weekday(today) + 7) % 7 || 7;
  return addDays(today, ahead);
}

function quarterStart(today: Day, q: number): Day {
  const m = (q - 1) * 3 + 1;
  return { y: m > today.m ? today.y : today.y + 1, m, d: 1 };
}

type Matcher = {
  re: RegExp;
  resolve: (m: RegExpExecArray, today: Day, dayFirst: boolean) => Omit<DateMention, 'start' | 'end'> | null;
};

const day = (d: Day | null) => (d ? { day: d, precision: 'day' as const, endOfMonth: false } : null);

// Most specific first: where two overlap, the earlier matcher wins.
const MATCHERS: Matcher[] = [
  // 2026-03-03
  {
    re: /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/g,
    resolve: (m) => day(valid(+m[1]!, +m[2]!, +m[3]!) ? { y: +m[1]!, m: +m[2]!, d: +m[3]! } : null),
  },
  // (lundi) 3 mars (2026), the 3rd of March, 2nd February
  {
    re: new RegExp(
      `\\b(?:${WEEKDAY},? )?(?:the |le )?(\\d{1,2})${ORD} (?:of |de )?${MONTH}(?:,? (\\d{4}))?(?!\\w)`,
      'g',
    ),
    resolve: (m, today) => day(nextDayMonth(today, MONTHS[m[3]!]!, +m[2]!, m[4] ? +m[4] : undefined)),
  },
  // (Monday,) February 2nd(, 2026)
  {
    re: new RegExp(`\\b(?:${WEEKDAY},? )?${MONTH} (?:the )?(\\d{1,2})${ORD}(?![\\d:h])\\b(?:,? (\\d{4}))?`, 'g'),
    resolve: (m, today) => day(nextDayMonth(today, MONTHS[m[2]!]!, +m[3]!, m[4] ? +m[4] : undefined)),
  },
  // 03/03, 3/12/2026, 30.04.2026 (dots only with a year: 10.30 is a time)
  {
    re: /(?<![\d/])(\d{1,2})([/.])(\d{1,2})(?:\2(\d{4}|\d{2}))?(?![\d/])/g,
    resolve: (m, today, dayFirst) => {
      if (m[2] === '.' && !m[4]) return null;
      const a = +m[1]!;
      const b = +m[3]!;
      const y = m[4] ? year(m[4], today.y) : undefined;
      const first = dayFirst ? nextDayMonth(today, b, a, y) : nextDayMonth(today, a, b, y);
      const other = dayFirst ? nextDayMonth(today, a, b, y) : nextDayMonth(today, b, a, y);
      // The convention first; the other reading only when the first is impossible or, with a year, past.
      if (first && !(y !== undefined && before(first, today) && other && !before(other, today))) return day(first);
      return day(other);
    },
  },
  // March 2026 -> 2026-03-01
  {
    re: new RegExp(`\\b${MONTH} (\\d{4})\\b`, 'g'),
    resolve: (m) => ({ day: { y: +m[2]!, m: MONTHS[m[1]!]!, d: 1 }, precision: 'month', endOfMonth: false }),
  },
  // in March, en mars, fin mars, until the end of March, début avril ("may" needs a preposition: it is also a verb)
  {
    re: new RegExp(
      `\\b(in|en|by|until|till|from|after|before|early|late|mid|start of|beginning of|(?:the )?end of|debut|fin|mi-|courant|au mois de|d'ici|jusqu'en|jusqu'a|avant|apres|des) ${MONTH}(?!\\w)`,
      'g',
    ),
    resolve: (m, today) => {
      const end = /end of|fin|late/.test(m[1]!);
      return { day: nextMonthStart(today, MONTHS[m[2]!]!, end), precision: 'month', endOfMonth: end };
    },
  },
  // Q3, T3, the third quarter, le 3e trimestre
  {
    re: /\b(?:q|t)([1-4])\b|\b(first|second|third|fourth|1st|2nd|3rd|4th|premier|1er|deuxieme|second|2e|2eme|troisieme|3e|3eme|quatrieme|4e|4eme) (?:quarter|trimestre)\b/g,
    resolve: (m, today) => {
      const words: Record<string, number> = {
        first: 1,
        '1st': 1,
        premier: 1,
        '1er': 1,
        second: 2,
        '2nd': 2,
        deuxieme: 2,
        '2e': 2,
        '2eme': 2,
        third: 3,
        '3rd': 3,
        troisieme: 3,
        '3e': 3,
        '3eme': 3,
        fourth: 4,
        '4th': 4,
        quatrieme: 4,
        '4e': 4,
        '4eme': 4,
      };
      const q = m[1] ? +m[1] : words[m[2]!]!;
      return { day: quarterStart(today, q), precision: 'month', endOfMonth: false };
    },
  },
  // next week, la semaine prochaine -> the next Monday
  {
    re: /\b(?:next week|the following week|la semaine (?:prochaine|suivante))\b/g,
    resolve: (_m, today) => ({ day: nextWeekday(today, 1), precision: 'week', endOfMonth: false }),
  },
  {
    re: /\b(?:next month|le mois (?:prochain|suivant))\b/g,
    resolve: (_m, today) => ({ day: { ...addMonths({ ...today, d: 1 }, 1) }, precision: 'month', endOfMonth: false }),
  },
  {
    re: /\b(?:next quarter|le (?:trimestre|quarter) prochain)\b/g,
    resolve: (_m, today) => ({
      day: quarterStart(today, ((Math.floor((today.m - 1) / 3) + 1) % 4) + 1),
      precision: 'month',
      endOfMonth: false,
    }),
  },
  {
    re: /\b(?:(?:early |beginning of )?next year|(?:in |after )?the new year|(?:debut (?:de )?)?l'(?:annee|an) prochaine?|debut d'annee prochaine)\b/g,
    resolve: (_m, today) => ({ day: { y: today.y + 1, m: 1, d: 1 }, precision: 'month', endOfMonth: false }),
  },
  // after the summer, à la rentrée -> September 1st
  {
    re: /\b(?:after (?:the )?summer(?: holidays| break)?|apres l'ete|(?:a )?la rentree)\b/g,
    resolve: (_m, today) => ({ day: nextMonthStart(today, 9, false), precision: 'month', endOfMonth: false }),
  },
  { re: /\b(?:tomorrow|demain)\b/g, resolve: (_m, today) => day(addDays(today, 1)) },
  // in two weeks, dans 3 mois
  {
    re: /\b(?:in|within|dans) (\d{1,2}|a couple of|an?|one|two|three|four|five|six|un|une|deux|trois|quatre|cinq|six|quinze) (days?|weeks?|months?|jours|semaines?|mois)\b/g,
    resolve: (m, today) => {
      const n = /^\d+$/.test(m[1]!) ? +m[1]! : NUMBERS[m[1]!]!;
      const unit = m[2]!;
      if (/^(month|mois)/.test(unit)) return day(addMonths(today, n));
      return day(addDays(today, /^(week|semaine)/.test(unit) ? 7 * n : n));
    },
  },
  // Monday, lundi prochain -> the next one
  {
    re: new RegExp(`\\b${WEEKDAY}\\b`, 'g'),
    resolve: (m, today) => day(nextWeekday(today, WEEKDAYS[m[1]!]!)),
  },
  // "jusqu'au 15", "de retour le 4", "until the 15th": a day of this or next month
  {
    re: /\b(?:jusqu'au|le|au|the) (\d{1,2})(er|st|nd|rd|th|e)?(?! ?(?:h\b|am\b|pm\b|:|\d|%|\/|jours|days|mois|months|semaines|weeks|min|ans|years|personnes|people|users|utilisateurs|seats|licen|%))/g,
    resolve: (m, today) => {
      const d = +m[1]!;
      for (let k = 0; k < 2; k++) {
        const base = addMonths({ ...today, d: 1 }, k);
        if (valid(base.y, base.m, d) && !before({ ...base, d }, today))
          return { day: { ...base, d }, precision: 'dayOfMonth', endOfMonth: false };
      }
      return null;
    },
  },
];

/** Every date the normalized text names, in order, non-overlapping. */
export function findDates(norm: string, today: Day, dayFirst: boolean): DateMention[] {
  const found: DateMention[] = [];
  const taken = (s: number, e: number) => found.some((f) => s < f.end && e > f.start);
  for (const { re, resolve } of MATCHERS) {
    re.lastIndex = 0;
    for (let m = re.exec(norm); m; m = re.exec(norm)) {
      const start = m.index;
      const end = start + m[0].length;
      if (taken(start, end)) continue;
      const r = resolve(m, today, dayFirst);
      if (r) found.push({ start, end, ...r });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

// What introduces a date decides what it means for an absence.
const UNTIL_BEFORE =
  /(?:\buntil|\btill|\btil|\bthrough|\bthru|\bto|-|\bjusqu'(?:au|a|aux|en)?|\bau|\bet le)\s*(?:the |le |la )?$/;
const BACK_BEFORE =
  /(?:\b(?<!(?:get|come|write|call|reply|circle|check|ring|hear) )back(?! to you)|\b(?:returning|return(?:s)? on|will return|de retour|retour(?: prevu)?|reviens|reviendrai au bureau|rentre(?:rai)?|reprise|reprendrai))\b[^.!?\n]*$/;

/** The day after, for "until": the first day back. A month named alone ("until March") means its first day. */
function dayAfter(m: DateMention): Day {
  if (m.precision === 'month') return m.endOfMonth ? addMonths(m.day, 1) : m.day;
  return addDays(m.day, 1);
}

/** First day back of an out-of-office: "back on <date>" as is, "until <date>" the day after; null when not said. */
export function returnDateOfAbsence(norm: string, today: Day, dayFirst: boolean): string | null {
  const mentions = findDates(norm, today, dayFirst);
  const lead = (m: DateMention) => norm.slice(Math.max(0, m.start - 60), m.start);
  const back = mentions.find((m) => BACK_BEFORE.test(lead(m)));
  if (back) return isoDay(back.day);
  const until = mentions.filter((m) => UNTIL_BEFORE.test(lead(m)));
  if (until.length > 0) return isoDay(dayAfter(until[until.length - 1]!));
  return null;
}

// Verbs that ask to be contacted again: the date they govern is the follow-up date.
const COME_BACK_BEFORE =
  /\b(?:again|ask|ping|reach out|reach|contact|check back|check in|follow up|get back|touch base|circle back|reconnect|revisit|try|talk|write|email|call|recontact\w*|relance\w*|revenez|revenir|ecrivez|reecrivez|rappelez|reparle\w*|verrons|voir ca|ordre du jour|reprendre contact|revoir)\b[^.!?\n]*$/;

/** Follow-up date of a not_now: the date a "contact me again" governs, else the first date named; null when none. */
export function followUpDate(norm: string, today: Day, dayFirst: boolean): string | null {
  const mentions = findDates(norm, today, dayFirst).filter((m) => m.precision !== 'dayOfMonth');
  const lead = (m: DateMention) => norm.slice(Math.max(0, m.start - 50), m.start);
  const asked = mentions.find((m) => COME_BACK_BEFORE.test(lead(m)) && !UNTIL_BEFORE.test(lead(m)));
  if (asked) return isoDay(asked.day);
  const plain = mentions.find((m) => !UNTIL_BEFORE.test(lead(m)));
  if (plain) return isoDay(plain.day);
  const until = mentions[mentions.length - 1];
  return until ? isoDay(dayAfter(until)) : null;
}
