import { expect } from 'vitest';
import { AppError } from '../../src/kernel/errors.js';

/** The AppError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function caught(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}
