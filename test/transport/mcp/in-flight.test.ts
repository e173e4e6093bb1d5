import { describe, expect, it } from 'vitest';
import { InFlight } from '../../../src/transport/mcp/in-flight.js';

describe('InFlight', () => {
  it('holds what was added until its remover runs, whatever the order', () => {
    const list = new InFlight<string>();
    const removeA = list.add('a');
    const removeB = list.add('b');
    const removeC = list.add('c');
    expect(list.values().sort()).toEqual(['a', 'b', 'c']);
    removeB();
    expect(list.values().sort()).toEqual(['a', 'c']);
    removeC();
    expect(list.values()).toEqual(['a']);
    removeA();
    expect(list.values()).toEqual([]);
    list.add('d');
    expect(list.values()).toEqual(['d']);
  });

  it('ignores a second removal; a snapshot is unchanged by removals made while going through it', () => {
    const list = new InFlight<number>();
    const removers = [1, 2, 3, 4].map((n) => list.add(n));
    removers[1]!();
    removers[1]!();
    expect(list.values().sort()).toEqual([1, 3, 4]);
    const seen: number[] = [];
    for (const n of list.values()) {
      seen.push(n);
      if (n === 4) for (const remove of removers) remove();
    }
    expect(seen.sort()).toEqual([1, 3, 4]);
    expect(list.values()).toEqual([]);
    list.add(5);
    list.add(6);
    expect(list.values().sort()).toEqual([5, 6]);
  });
});
