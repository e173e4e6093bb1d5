import { z } from 'zod';

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** The longest range one call covers, in days: a year, leap day included. */
export const MAX_RANGE_DAYS = 366;
/** The range when neither end is given: the last 30 days, today included. */
export const DEFAULT_RANGE_DAYS = 30;

const count = (what: string) => z.number().int().min(0).describe(what);

const COUNTS = {
  sent: count('Emails sent (email.sent)'),
  delivered: count('Emails the provider reported delivered (email.delivered)'),
  opened: count('Emails opened at least once, each counted once on the day of its first open in the range'),
  clicked: count('Emails with at least one link clicked, each counted once on the day of its first click in the range'),
  replied: count(
    'Replies from people, on the day they arrived; auto-replies, out-of-office and bounce messages are not counted',
  ),
  positive_replies: count('Replies whose current label is interested or meeting_request, on the day they arrived'),
  bounces: count('Bounces: provider bounce reports plus bounce messages that came back as replies'),
  unsubscribes: count('Addresses suppressed because their owner asked to stop: the unsubscribe link or a reply'),
  hot_leads: count('Hot leads detected (hot_lead.detected)'),
  escalations_opened: count('Conversations handed to a person (a repeated escalation of a waiting one not counted)'),
  escalations_resolved: count('Escalations resolved'),
} as const;

export const KpiCounts = z.object(COUNTS);
export type KpiCounts = z.infer<typeof KpiCounts>;
export const COUNT_KEYS = Object.keys(COUNTS) as (keyof KpiCounts)[];

const rate = (what: string) => z.number().min(0).describe(`${what}; 0 when the divisor is 0. A fraction, 4 decimals`);

export const KpiRates = z.object({
  open_rate: rate('opened / sent'),
  click_rate: rate('clicked / sent'),
  reply_rate: rate('replied / sent'),
  positive_rate: rate('positive_replies / replied: the share of replies that are positive'),
  bounce_rate: rate('bounces / sent'),
});
export type KpiRates = z.infer<typeof KpiRates>;

export const KpiBucket = KpiCounts.extend({
  date: z
    .string()
    .describe(
      'First day of the bucket inside the range, YYYY-MM-DD in the workspace time zone (a week starts on Monday)',
    ),
});
export type KpiBucket = z.infer<typeof KpiBucket>;

export const Kpis = z.object({
  from: z.string().describe('First day counted, YYYY-MM-DD in the workspace time zone'),
  to: z.string().describe('Last day counted (inclusive), YYYY-MM-DD in the workspace time zone'),
  timezone: z.string().describe('The IANA time zone days are counted in: the workspace time zone'),
  granularity: z.enum(GRANULARITIES).describe('Bucket size of the series'),
  include_test: z.boolean().describe('Whether events of test traffic (is_test) were counted'),
  totals: KpiCounts.extend({
    drafts_awaiting_approval: count('Drafts waiting for approval now (not limited to the range)'),
  }).describe('Sums over the range'),
  rates: KpiRates.describe('Rates over the range'),
  series: z
    .array(KpiBucket)
    .describe('One entry per bucket from `from` to `to`, oldest first; empty buckets are zeros'),
});
export type Kpis = z.infer<typeof Kpis>;
