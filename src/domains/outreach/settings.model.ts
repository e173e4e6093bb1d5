import { z } from 'zod';
import type { Workspace } from '../../kernel/context.js';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM (24 h)');

const Stored = z
  .object({
    sender: z
      .object({
        email: z.email().describe('From address'),
        name: z.string().max(200).optional().describe('From name'),
        reply_to: z.email().optional().describe('Reply-To address'),
      })
      .strict()
      .optional()
      .describe('Who emails come from; sending is refused until it is set'),
    daily_cap: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .default(50)
      .describe('Most emails sent per day (workspace time zone)'),
    min_gap_seconds: z.number().int().min(0).max(86_400).default(60).describe('Least time between two sends'),
    sending_window: z
      .object({
        start: HHMM.describe('Start of the window'),
        end: HHMM.describe('End of the window (exclusive)'),
        days: z
          .array(z.number().int().min(1).max(7))
          .min(1)
          .max(7)
          .default([1, 2, 3, 4, 5])
          .describe('ISO weekdays, 1 = Monday'),
      })
      .strict()
      .optional()
      .describe('Business hours, in the workspace time zone; no window = any time'),
    personalization: z
      .object({
        enabled: z.boolean().default(false).describe('Let Claude rewrite rendered drafts (needs ANTHROPIC_API_KEY)'),
        tone: z.string().max(200).optional().describe('e.g. "warm, concise, no jargon"'),
        max_words: z.number().int().min(20).max(2000).optional().describe('Upper bound on the rewritten body'),
      })
      .strict()
      .default({ enabled: false }),
    paused: z
      .object({ reason: z.string(), since: z.string() })
      .nullable()
      .default(null)
      .describe('Set when sending paused itself (bounce or complaint rate); cleared by an admin'),
  })
  .strict();

/** The outreach part of a workspace's settings, with the defaults a new workspace gets. */
export const OutreachSettings = Stored.superRefine((s, ctx) => {
  // Equal times could mean "never" or "all day"; guessing either silently is worse than asking.
  if (s.sending_window && s.sending_window.start === s.sending_window.end) {
    ctx.addIssue({
      code: 'custom',
      path: ['sending_window', 'end'],
      message:
        'the sending window starts and ends at the same time: omit sending_window to send at any time, or give an end after the start (an end before the start crosses midnight)',
    });
  }
});
export type OutreachSettings = z.infer<typeof OutreachSettings>;

/** The workspace's outreach settings, defaults filled in. Unknown or invalid stored values fall back to defaults. */
export function outreachSettings(workspace: Pick<Workspace, 'settings'>): OutreachSettings {
  // Without the input-only checks: a window stored before they existed keeps its old meaning
  // instead of throwing the whole settings (sender, cap) back to their defaults.
  const parsed = Stored.safeParse(workspace.settings.outreach ?? {});
  return parsed.success ? parsed.data : Stored.parse({});
}
