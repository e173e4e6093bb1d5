import { z } from 'zod';
import type { RateLimitPolicy } from '../../kernel/ports.js';

/*
 * Each organization's rate limits: a preset, optionally with some numbers replaced. Stored as given
 * in organizations.rate_limits (null: `standard`); resolved into a RateLimitPolicy with every key,
 * so checking a request needs no lookup of its own. The counting is src/adapters/ratelimit; the
 * service (reading and setting) is rate-limits.service.ts.
 */

/** The plans the seeds promise. A window a preset does not name has no limit; every preset caps 20 requests in flight. */
export const RATE_LIMIT_PRESETS = {
  standard: { perMinute: 100, perHour: 3000, perDay: 50_000, inFlight: 20 },
  free: { perMinute: 60, perHour: null, perDay: 1000, inFlight: 20 },
  essential: { perMinute: 300, perHour: null, perDay: 50_000, inFlight: 20 },
  pro: { perMinute: 1000, perHour: null, perDay: 250_000, inFlight: 20 },
} as const satisfies Record<string, RateLimitPolicy>;
export type RateLimitPreset = keyof typeof RATE_LIMIT_PRESETS;
export const PRESET_NAMES = Object.keys(RATE_LIMIT_PRESETS) as [RateLimitPreset, ...RateLimitPreset[]];
export const DEFAULT_RATE_LIMITS: RateLimitPolicy = RATE_LIMIT_PRESETS.standard;

const Limit = (what: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(1_000_000_000)
    .nullable()
    .optional()
    .describe(`${what}; null for no limit; omitted: the preset's`);

/** What an admin sets: a preset, and numbers that replace the preset's. */
export const RateLimitSetting = z.object({
  preset: z
    .enum(PRESET_NAMES)
    .optional()
    .describe(`One of ${PRESET_NAMES.join(', ')}; default standard`),
  per_minute: Limit('Requests per minute and key'),
  per_hour: Limit('Requests per hour and key'),
  per_day: Limit('Requests per day and key'),
  in_flight: Limit('Requests of one key running at once (counted per server process)'),
});
export type RateLimitSetting = z.infer<typeof RateLimitSetting>;

/** The limits in force, as the API reports them. */
export const RateLimits = z.object({
  preset: z.enum(PRESET_NAMES).describe('The preset the limits start from'),
  per_minute: z.number().int().nullable().describe('Requests per minute and key; null: no limit'),
  per_hour: z.number().int().nullable().describe('Requests per hour and key; null: no limit'),
  per_day: z.number().int().nullable().describe('Requests per day and key; null: no limit'),
  in_flight: z.number().int().nullable().describe('Requests of one key at once, per server process; null: no limit'),
  enforced: z.boolean().describe('False when the server runs with SWITCHBOARD_RATE_LIMITS=off'),
});
export type RateLimits = z.infer<typeof RateLimits>;

/** The policy of a stored setting; a setting that no longer parses falls back to `standard` rather than to no limit. */
export function policyOf(stored: unknown): RateLimitPolicy {
  const parsed = RateLimitSetting.safeParse(stored ?? {});
  const s = parsed.success ? parsed.data : {};
  const base = RATE_LIMIT_PRESETS[s.preset ?? 'standard'];
  return {
    perMinute: s.per_minute !== undefined ? s.per_minute : base.perMinute,
    perHour: s.per_hour !== undefined ? s.per_hour : base.perHour,
    perDay: s.per_day !== undefined ? s.per_day : base.perDay,
    inFlight: s.in_flight !== undefined ? s.in_flight : base.inFlight,
  };
}
