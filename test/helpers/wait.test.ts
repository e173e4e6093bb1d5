import { describe, expect, it } from 'vitest';
import { until } from './wait.js';

describe('until', () => {
  it('returns the first truthy value, checking again while it is falsy', async () => {
    let calls = 0;
    expect(await until('the third call', async () => ++calls >= 3 && `call ${calls}`, { interval: 1 })).toBe('call 3');
  });

  it('names what it waited for when time runs out', async () => {
    await expect(until('the impossible', () => false, { timeout: 30, interval: 5 })).rejects.toThrow(
      'Timed out after 30 ms waiting for the impossible',
    );
  });

  it('fails at once on an error from the check', async () => {
    let calls = 0;
    const check = () => {
      calls++;
      throw new Error('broken check');
    };
    await expect(until('anything', check, { timeout: 5_000, interval: 1 })).rejects.toThrow('broken check');
    expect(calls).toBe(1);
  });
});
