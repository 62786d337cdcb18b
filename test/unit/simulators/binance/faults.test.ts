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

describe('Faults: reports held until released', () => {
  it('holds every executionReport while holdReports is on, then sends them in order; other events pass', () => {
    const f = new Faults(1);
    const sent: string[] = [];
    const report = (id: string) =>
      f.deliverUserEvent({ e: 'executionReport', c: id }, () => sent.push(id));
    f.set({ holdReports: true });
    report('a');
    f.deliverUserEvent({ e: 'outboundAccountPosition' }, () => sent.push('balance'));
    report('b');
    expect(sent).toEqual(['balance']);
    f.set({ holdReports: false });
    expect(sent).toEqual(['balance', 'a', 'b']);
    report('c');
    expect(sent).toEqual(['balance', 'a', 'b', 'c']);
    expect(() => f.set({ holdReports: 1 as unknown as boolean })).toThrow(
      'faults.holdReports: must be true or false',
    );
  });
});
