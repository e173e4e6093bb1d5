import type { OrgContext } from '../../kernel/context.js';
import { AppError } from '../../kernel/errors.js';
import { RateLimitSetting, type RateLimits, policyOf } from './rate-limits.model.js';

function toRateLimits(ctx: OrgContext, stored: unknown): RateLimits {
  const p = policyOf(stored);
  const parsed = RateLimitSetting.safeParse(stored ?? {});
  return {
    preset: (parsed.success && parsed.data.preset) || 'standard',
    per_minute: p.perMinute,
    per_hour: p.perHour,
    per_day: p.perDay,
    in_flight: p.inFlight,
    enforced: ctx.rateLimiter !== null,
  };
}

function requireAllWorkspaces(ctx: OrgContext): void {
  if (!ctx.principal.allWorkspaces)
    throw new AppError('forbidden', 'Only a key granted all workspaces of the organization can manage its rate limits');
}

/** The rate limits of the caller's organization. */
export async function getRateLimits(ctx: OrgContext): Promise<RateLimits> {
  const row = await ctx.db
    .selectFrom('organizations')
    .select('rate_limits')
    .where('id', '=', ctx.principal.organizationId)
    .executeTakeFirst();
  return toRateLimits(ctx, row?.rate_limits ?? null);
}

/** Replaces the organization's rate limits; its keys carry the new limits at once in this process, within SWITCHBOARD_CACHE_MS in others. */
export async function setRateLimits(ctx: OrgContext, setting: RateLimitSetting): Promise<RateLimits> {
  requireAllWorkspaces(ctx);
  const stored = Object.fromEntries(Object.entries(setting).filter(([, v]) => v !== undefined));
  const row = await ctx.db
    .updateTable('organizations')
    .set({ rate_limits: JSON.stringify(stored) })
    .where('id', '=', ctx.principal.organizationId)
    .returning('rate_limits')
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `Organization ${ctx.principal.organizationId} not found`);
  ctx.keyCache.forgetOrganization(ctx.principal.organizationId);
  return toRateLimits(ctx, row.rate_limits);
}
