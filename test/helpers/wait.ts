import { vi } from 'vitest';

export interface UntilOptions {
  /** How long to keep checking, in ms (default 15 s: the job workers poll every 0.5 s on a shared machine). */
  timeout?: number;
  /** Pause between two checks, in ms (default 50). */
  interval?: number;
}

type Falsy = undefined | null | false | 0 | '';

/**
 * Checks `check` until it returns something truthy and returns that, so a test waits for what it
 * needs instead of for a fixed time. An error thrown by `check` fails at once. `vi.waitUntil` does
 * the polling; this only names what was awaited in the timeout error and sets defaults for this project.
 */
export async function until<T>(
  what: string,
  check: () => T | Falsy | Promise<T | Falsy>,
  { timeout = 15_000, interval = 50 }: UntilOptions = {},
): Promise<T> {
  try {
    return (await vi.waitUntil(check, { timeout, interval })) as T;
  } catch (err) {
    if (err instanceof Error && err.message === 'Timed out in waitUntil!')
      throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
    throw err;
  }
}
