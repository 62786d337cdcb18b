import { Faults } from '../../../../src/simulators/binance/faults.js';

describe('Faults: random WebSocket drops', () => {
  const draws = (seed: number, n: number) => {
    const f = new Faults(seed);
    f.set({ wsDropRandomMs: { min: 1000, max: 3000 } });
    return Array.from({ length: n }, () => f.nextWsDropMs()!);
  };

  it('draws the delays between min and max, the same for the same seed', () => {
    const a = draws(42, 200);
    expect(a.every((d) => Number.isInteger(d) && d >= 1000 && d <= 3000)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(50);
    expect(draws(42, 200)).toEqual(a);
    expect(draws(43, 200)).not.toEqual(a);
  });

  it('prefers a fixed period, and is off by default', () => {
    const f = new Faults(1);
    expect(f.nextWsDropMs()).toBeNull();
    f.set({ wsDropRandomMs: { min: 5, max: 9 }, wsDropEveryMs: 80 });
    expect(f.nextWsDropMs()).toBe(80);
  });

  it('refuses bad bounds, naming the field', () => {
    const f = new Faults(1);
    expect(() => f.set({ wsDropRandomMs: { min: 3000, max: 1000 } })).toThrow(
      'faults.wsDropRandomMs: must be {min, max}: integers of ms, 0 < min ≤ max, or null',
    );
    expect(() => f.set({ wsDropRandomMs: { min: 0, max: 10 } })).toThrow(/wsDropRandomMs/);
  });
});
