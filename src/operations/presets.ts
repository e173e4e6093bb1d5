import type { Annotations } from './define.js';

// The MCP annotation hints, spelled once. Every operation states all four (clients read a missing
// hint as its most pessimistic default), so an operation picks one of these and overrides only what differs.

/** Reads nothing but the workspace's own data and changes nothing. */
export const readOnly: Annotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};
/** Adds something new each time it is called. */
export const write: Annotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
};
/** Sets state: calling it again with the same input changes nothing more. */
export const idempotentWrite: Annotations = { ...write, idempotentHint: true };
/** Removes or overwrites something a caller may not get back. */
export const destructive: Annotations = { ...write, destructiveHint: true };
