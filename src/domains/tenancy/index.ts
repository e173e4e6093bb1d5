// What other domains, the operations and the composition root may use of tenancy.
export { bootstrapIfEmpty } from './bootstrap.js';
export { KeyCache } from './key-cache.js';
export { keyOperations } from './keys.ops.js';
export {
  DEFAULT_RATE_LIMITS,
  PRESET_NAMES,
  RATE_LIMIT_PRESETS,
  type RateLimitPreset,
  RateLimitSetting,
} from './rate-limits.model.js';
export { rateLimitOperations } from './rate-limits.ops.js';
export * as rateLimits from './rate-limits.service.js';
export * as keys from './keys.service.js';
export { ALL_SCOPES, SCOPES, type Scope, hasScope } from './scopes.js';
export { WorkspaceCache } from './workspace-cache.js';
export { Workspace } from './workspaces.model.js';
export { workspaceOperations } from './workspaces.ops.js';
export * as workspaces from './workspaces.service.js';
export { toWorkspace, writeSettingsSection } from './workspaces.service.js';
