import { describe, expect, it } from 'vitest';
import { followUpDate, isoDay, localDay, returnDateOfAbsence } from '../../../../src/domains/replies/classify/dates.js';
import { normalize } from '../../../../src/domains/replies/classify/normalize.js';

// Wednesday 14 January 2026.
const today = { y: 2026, m: 1, d: 14 };
const back = (text: string, dayFirst = false) => returnDateOfAbsence(normalize(text), today, dayFirst);
const later = (text: string, dayFirst = false) => followUpDate(normalize(text), today, dayFirst);

describe('localDay', () => {
  it('takes the day in the workspace time zone, not in UTC', () => {
    const lateEvening = new Date('2026-01-14T23:30:00Z');
    expect(isoDay(localDay(lateEvening, 'UTC'))).toBe('2026-01-14');
    expect(isoDay(localDay(lateEvening, 'Europe/Paris'))).toBe('2026-01-15');
    expect(isoDay(localDay(lateEvening, 'America/New_York'))).toBe('2026-01-14');
    expect(isoDay(localDay(lateEvening, 'Not/AZone'))).toBe('2026-01-14');
  });
});

describe('first day back of an absence', () => {
  it.each([
    ['out of the office until January 23', false, '2026-01-24'],
    ['until the 2nd of February', false, '2026-02-03'],
    ['until December 4th', false, '2026-12-05'],
    ['back on Monday, February 2nd', false, '2026-02-02'],
    ['I will be back in the office on Thursday, January 22.', false, '2026-01-22'],
    ['out until Monday', false, '2026-01-20'],
    ['back Monday', false, '2026-01-19'],
    ['away from January 12 to January 16', false, '2026-01-17'],
    ['returning on 7 April', false, '2026-04-07'],
    ['back next week', false, '2026-01-19'],
    ['out until 31 March 2026', false, '2026-04-01'],
    ['will return on 08/03/2026', false, '2026-08-03'],
    ["absente jusqu'au 26 janvier inclus", true, '2026-01-27'],
    ['de retour le lundi 2 février', true, '2026-02-02'],
    ['absent du 27 juillet au 21 août', true, '2026-08-22'],
    ["jusqu'au 3/02", true, '2026-02-04'],
    ['de retour le 3/12', true, '2026-12-03'],
    ["jusqu'au 30/04/2026", true, '2026-05-01'],
    ['de retour lundi', true, '2026-01-19'],
    ['retour prévu le 9 février 2026', true, '2026-02-09'],
    ["jusqu'à fin mars", true, '2026-04-01'],
    ['de retour le 4', true, '2026-02-04'],
    ['back on 2026-03-03', false, '2026-03-03'],
  ])('%j -> %s', (text, dayFirst, expected) => {
    expect(back(text, dayFirst)).toBe(expected);
  });

  it('is null when no date is said', () => {
    expect(back('on leave until further notice')).toBeNull();
    expect(back("en arrêt maladie jusqu'à nouvel ordre", true)).toBeNull();
  });

  it('takes the next occurrence: a date already past this year is next year', () => {
    expect(back('back on 5 January', false)).toBe('2027-01-05');
    expect(back('back on January 14')).toBe('2026-01-14');
  });
});

describe('follow-up date of a not_now', () => {
  it.each([
    ['ask me again in Q3', false, '2026-07-01'],
    ['au T3', true, '2026-07-01'],
    ['au deuxième trimestre', true, '2026-04-01'],
    ['in the fourth quarter', false, '2026-10-01'],
    ['in Q1', false, '2027-01-01'],
    ['reach out in March', false, '2026-03-01'],
    ['recontactez-moi en septembre', true, '2026-09-01'],
    ['in January', false, '2027-01-01'],
    ['next week', false, '2026-01-19'],
    ['la semaine prochaine', true, '2026-01-19'],
    ['next month', false, '2026-02-01'],
    ['next year', false, '2027-01-01'],
    ["l'année prochaine", true, '2027-01-01'],
    ['after the summer', false, '2026-09-01'],
    ['à la rentrée', true, '2026-09-01'],
    ['ping me on March 2nd', false, '2026-03-02'],
    ['recontactez-moi le 16 mars', true, '2026-03-16'],
    ['lundi 3 mars', true, '2026-03-03'],
    ['try me Monday', false, '2026-01-19'],
    ['in two weeks', false, '2026-01-28'],
    ['dans 3 mois', true, '2026-04-14'],
    ['try us again in January 2027', false, '2027-01-01'],
    ["sous l'eau jusqu'à fin mars, écrivez-moi début avril", true, '2026-04-01'],
    ['call me on 3/12', false, '2026-03-12'],
    ['appelez-moi le 3/12', true, '2026-12-03'],
  ])('%j -> %s', (text, dayFirst, expected) => {
    expect(later(text, dayFirst)).toBe(expected);
  });

  it('is null for a condition without a date, and "may" the verb is no month', () => {
    expect(later('once our budget is approved')).toBeNull();
    expect(later('we may be interested later')).toBeNull();
  });
});
