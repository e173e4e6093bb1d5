import { z } from 'zod';
import { defineOperation } from '../../operations/define.js';
import { readOnly } from '../../operations/presets.js';
import { GRANULARITIES, Kpis, MAX_RANGE_DAYS } from './kpis.model.js';
import * as kpis from './kpis.service.js';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day as YYYY-MM-DD');

const getKpis = defineOperation({
  name: 'get_kpis',
  title: 'Get KPIs',
  toolset: 'kpis',
  scope: 'kpis:read',
  description:
    "The workspace's outreach numbers over a range of days in its time zone: emails sent, delivered, opened, clicked, " +
    'replies, positive replies, bounces, unsubscribes, hot leads, escalations opened and resolved, drafts awaiting ' +
    'approval; open, click, reply, positive and bounce rates; and a series per day, week or month. Defaults to the last ' +
    `30 days. Test traffic is left out unless include_test is true. Fails with invalid_request when from is after to or the range exceeds ${MAX_RANGE_DAYS} days.`,
  input: z.object({
    from: Day.optional().describe('First day, YYYY-MM-DD in the workspace time zone (default: 29 days before to)'),
    to: Day.optional().describe('Last day, inclusive, YYYY-MM-DD in the workspace time zone (default: today)'),
    granularity: z
      .enum(GRANULARITIES)
      .optional()
      .describe('Series buckets: day (default), week (from Monday) or month'),
    include_test: z.boolean().optional().describe('Also count test traffic (events marked is_test); default false'),
  }),
  output: z.object({ kpis: Kpis }),
  annotations: readOnly,
  http: { method: 'GET', path: '/kpis' },
  handler: async (ctx, { from, to, granularity, include_test }) => ({
    kpis: await kpis.getKpis(ctx, { from, to, granularity, includeTest: include_test }),
  }),
});

export const kpiOperations = [getKpis];
