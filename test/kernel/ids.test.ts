import { describe, expect, it } from 'vitest';
import { newId } from '../../src/kernel/ids.js';

describe('newId', () => {
  it('is prefixed, unique and sorts in creation order, even within one millisecond', () => {
    const at = new Date('2026-11-22T12:00:00Z');
    const ids = Array.from({ length: 1000 }, () => newId('pro', at));
    expect(ids[0]).toMatch(/^pro_[0-9a-z]{26}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(newId('pro', new Date(at.getTime() + 1)) > ids[999]!).toBe(true);
  });
});
