import fc from 'fast-check';
import type { Bar } from '../../../../../src/trading/data/market-data.js';
import {
  firstTouch,
  intrabarPath,
} from '../../../../../src/trading/execution/matching/intrabar-path.js';

const bar = (open: number, high: number, low: number, close: number): Bar => ({
  instrumentId: 'ETH/USDC',
  openTime: 0,
  closeTime: 60_000,
  open,
  high,
  low,
  close,
  volume: 10,
});

/** A consistent OHLC bar on a 0.25 tick: low <= open, close <= high. */
const barArb = fc
  .tuple(
    fc.integer({ min: 1, max: 4000 }),
    fc.integer({ min: 0, max: 400 }),
    fc.integer({ min: 0, max: 400 }),
    fc.integer({ min: 0, max: 1000 }),
    fc.integer({ min: 0, max: 1000 }),
  )
  .map(([low, span, _u, o, c]) => {
    const high = low + span;
    const at = (k: number) => (low + (span * k) / 1000) * 0.25;
    return bar(at(o), high * 0.25, low * 0.25, at(c));
  });

describe('the intrabar path a bar is assumed to take', () => {
  it('an up bar visits its low before its high: open → low → high → close', () => {
    expect(intrabarPath(bar(100, 105, 98, 104))).toEqual([100, 98, 105, 104]);
  });

  it('a down bar visits its high before its low: open → high → low → close', () => {
    expect(intrabarPath(bar(100, 105, 98, 99))).toEqual([100, 105, 98, 99]);
  });

  it('a bar that closes exactly at its open counts as an up bar (low first)', () => {
    expect(intrabarPath(bar(100, 105, 98, 100))).toEqual([100, 98, 105, 100]);
  });

  it('property: the path starts at the open, ends at the close and visits the nearer-by-direction extreme first', () => {
    fc.assert(
      fc.property(barArb, (b) => {
        const p = intrabarPath(b);
        expect(p[0]).toBe(b.open);
        expect(p[3]).toBe(b.close);
        expect(p[1]).toBe(b.close >= b.open ? b.low : b.high);
        expect(p[2]).toBe(b.close >= b.open ? b.high : b.low);
      }),
    );
  });
});

describe('where a price level is first reached on the path', () => {
  it('a level reached exactly (not crossed) on the way up is a touch at the level', () => {
    expect(firstTouch([100, 98, 105, 104], 105, 'up')).toEqual({
      price: 105,
      index: 2,
      gap: false,
    });
  });

  it('a level reached exactly on the way down is a touch at the level', () => {
    expect(firstTouch([100, 105, 98, 99], 98, 'down')).toEqual({ price: 98, index: 2, gap: false });
  });

  it('a level the path never reaches is no touch, in either direction', () => {
    expect(firstTouch([100, 98, 105, 104], 105.5, 'up')).toBeNull();
    expect(firstTouch([100, 98, 105, 104], 97.75, 'down')).toBeNull();
  });

  it('a path that opens beyond the level is a gap, touched at the open price', () => {
    expect(firstTouch([110, 108, 112, 111], 105, 'up')).toEqual({
      price: 110,
      index: 0,
      gap: true,
    });
    expect(firstTouch([90, 92, 88, 89], 95, 'down')).toEqual({ price: 90, index: 0, gap: true });
    // opening exactly at the level counts as a gap too
    expect(firstTouch([105, 104, 106, 105], 105, 'up')).toEqual({
      price: 105,
      index: 0,
      gap: true,
    });
    expect(firstTouch([95, 96, 94, 95], 95, 'down')).toEqual({ price: 95, index: 0, gap: true });
  });

  it('a level above a path that only falls is never reached up; one below a rising path never down', () => {
    expect(firstTouch([100, 99, 98, 97], 100.5, 'up')).toBeNull();
    expect(firstTouch([100, 101, 102, 103], 99.5, 'down')).toBeNull();
  });

  it('property: a touch happens iff some path point is at or beyond the level, at the first such point', () => {
    fc.assert(
      fc.property(
        barArb,
        fc.integer({ min: 0, max: 5000 }).map((k) => k * 0.25),
        fc.constantFrom<'up' | 'down'>('up', 'down'),
        (b, level, dir) => {
          const path = intrabarPath(b);
          const beyond = (x: number) => (dir === 'up' ? x >= level : x <= level);
          const first = path.findIndex(beyond);
          const t = firstTouch(path, level, dir);
          if (first < 0) {
            expect(t).toBeNull();
            return;
          }
          expect(t).toEqual({
            index: first,
            gap: first === 0,
            price: first === 0 ? b.open : level,
          });
          // a touch never lies outside the bar's range
          expect(t!.price).toBeGreaterThanOrEqual(b.low);
          expect(t!.price).toBeLessThanOrEqual(b.high);
        },
      ),
    );
  });
});
