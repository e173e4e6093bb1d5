import { z } from 'zod';
import { RateLimitSetting, RateLimits } from './rate-limits.model.js';
import * as rateLimits from './rate-limits.service.js';
import { readOnly, write } from '../../operations/presets.js';
import { defineOrgOperation } from '../../operations/define.js';

const admin = { toolset: 'admin', scope: 'admin', mcp: false } as const;

const getRateLimits = defineOrgOperation({
  ...admin,
  name: 'get_rate_limits',
  title: 'Get rate limits',
  description:
    "Read the organization's rate limits: the preset (standard, free, essential, pro) and the requests each API key may " +
    'make per minute, hour and day and at once. Every authenticated HTTP answer also reports the tightest window in ' +
    'X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset.',
  input: z.object({}),
  output: z.object({ rate_limits: RateLimits }),
  annotations: readOnly,
  http: { method: 'GET', path: '/organization/rate-limits' },
  handler: async (ctx) => ({ rate_limits: await rateLimits.getRateLimits(ctx) }),
});

const setRateLimits = defineOrgOperation({
  ...admin,
  name: 'set_rate_limits',
  title: 'Set rate limits',
  description:
    "Replace the organization's rate limits: a preset (default standard), and numbers that replace the preset's " +
    '(null removes that limit). Applies to every key of the organization. Needs a key granted all workspaces (forbidden otherwise).',
  input: RateLimitSetting,
  output: z.object({ rate_limits: RateLimits }),
  annotations: { ...write, idempotentHint: true },
  http: { method: 'PUT', path: '/organization/rate-limits' },
  // Setting the same limits twice is harmless, and a stored result replayed to another key would skip the check of its grants.
  idempotency: false,
  handler: async (ctx, input) => ({ rate_limits: await rateLimits.setRateLimits(ctx, input) }),
});

export const rateLimitOperations = [getRateLimits, setRateLimits];
