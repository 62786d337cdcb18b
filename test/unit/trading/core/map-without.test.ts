import { without } from '../../../../src/trading/core/map-without.js';

describe('without', () => {
  it('deletes the key from a map that keeps other entries, and answers the same map', () => {
    const m = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    expect(without(m, 'a')).toBe(m);
    expect([...m]).toEqual([['b', 2]]);
  });

  it('answers a new empty map for the last entry', () => {
    const m = new Map([['a', 1]]);
    const out = without(m, 'a');
    expect(out).not.toBe(m);
    expect(out.size).toBe(0);
  });

  it('leaves a map of one other key as it is', () => {
    const m = new Map([['b', 2]]);
    expect(without(m, 'a')).toBe(m);
    expect([...m]).toEqual([['b', 2]]);
  });
});
