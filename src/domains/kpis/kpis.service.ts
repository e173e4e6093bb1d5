import type { RequestContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import {
  COUNT_KEYS,
  DEFAULT_RANGE_DAYS,
  type Granularity,
  type KpiCounts,
  type KpiRates,
  type Kpis,
  MAX_RANGE_DAYS,
} from './kpis.model.js';
import { draftsAwaitingApproval, kpiSeries } from './kpis.queries.js';

export interface KpiInput {
  from?: string | undefined;
  to?: string | undefined;
  granularity?: Granularity | undefined;
  includeTest?: boolean | undefined;
}

const DAY_MS = 86_400_000;

/** The workspace's numbers over a range of local days, computed from its events. */
export async function getKpis(ctx: RequestContext, input: KpiInput): Promise<Kpis> {
  const timezone = ctx.workspace.timezone;
  const { from, to } = resolveRange(input, localToday(ctx.clock.now(), timezone));
  const granularity = input.granularity ?? 'day';
  const includeTest = input.includeTest ?? false;
  const [series, awaiting] = await Promise.all([
    kpiSeries(ctx.db, { workspaceId: ctx.workspace.id, timezone, from, to, granularity, includeTest }),
    draftsAwaitingApproval(ctx.db, ctx.workspace.id),
  ]);
  const totals = Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as KpiCounts;
  for (const bucket of series) for (const k of COUNT_KEYS) totals[k] += bucket[k];
  return {
    from,
    to,
    timezone,
    granularity,
    include_test: includeTest,
    totals: { ...totals, drafts_awaiting_approval: awaiting },
    rates: rates(totals),
    series,
  };
}

function rates(t: KpiCounts): KpiRates {
  return {
    open_rate: ratio(t.opened, t.sent),
    click_rate: ratio(t.clicked, t.sent),
    reply_rate: ratio(t.replied, t.sent),
    positive_rate: ratio(t.positive_replies, t.replied),
    bounce_rate: ratio(t.bounces, t.sent),
  };
}

const ratio = (n: number, d: number): number => (d === 0 ? 0 : Math.round((n / d) * 10_000) / 10_000);

/**
 * Fills in the missing ends (to: today; from: 29 days before to) and checks the range: real days,
 * from ≤ to, at most MAX_RANGE_DAYS days.
 */
export function resolveRange(input: Pick<KpiInput, 'from' | 'to'>, today: string): { from: string; to: string } {
  const to = input.to ?? today;
  const from = input.from ?? addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  const days = (dayNumber(to, 'to') - dayNumber(from, 'from')) / DAY_MS + 1;
  if (days < 1) throw new AppError('invalid_request', `from (${from}) is after to (${to})`, { param: 'from' });
  if (days > MAX_RANGE_DAYS) {
    throw new AppError(
      'invalid_request',
      `The range ${from} to ${to} covers ${days} days; at most ${MAX_RANGE_DAYS} are allowed in one call`,
      { param: 'from' },
    );
  }
  return { from, to };
}

/** Milliseconds of a YYYY-MM-DD day at UTC midnight; a day that does not exist (2026-02-30) is refused. */
function dayNumber(day: string, param: string): number {
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) {
    throw new AppError('invalid_request', `${param} must be a day as YYYY-MM-DD, got "${day}"`, { param });
  }
  return ms;
}

const addDays = (day: string, n: number) => new Date(dayNumber(day, 'to') + n * DAY_MS).toISOString().slice(0, 10);

/** Today's date in a time zone, YYYY-MM-DD. */
function localToday(now: Date, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}
