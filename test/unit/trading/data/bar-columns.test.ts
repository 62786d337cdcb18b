import fc from 'fast-check';
import {
  barsFromColumns,
  rowsInRange,
  type BarColumns,
} from '../../../../src/trading/data/bar-columns.js';
import { collect } from '../../../support/collect.js';

const columns = (openTimes: number[]): BarColumns => {
  const col = (f: (t: number, i: number) => number) => Float64Array.from(openTimes, f);
  return {
    length: openTimes.length,
    openTime: Float64Array.from(openTimes),
    closeTime: col((t) => t + 60),
    open: col((_, i) => 100 + i),
    high: col((_, i) => 101 + i),
    low: col((_, i) => 99 + i),
    close: col((_, i) => 100.5 + i),
    volume: col((_, i) => i),
  };
};

describe('bar columns', () => {
  it('yields the bars of the rows in [from, to), in batches of at most 512, in row order', async () => {
    const cols = columns(Array.from({ length: 1100 }, (_, i) => i * 60));
    const batches: number[] = [];
    for await (const b of barsFromColumns(cols, { instrumentId: 'X', from: 60, to: 1050 * 60 }))
      batches.push(b.length);
    expect(batches).toEqual([512, 512, 25]);
    const bars = await collect(barsFromColumns(cols, { instrumentId: 'X', from: 60 }));
    expect(bars[0]).toEqual({
      instrumentId: 'X',
      openTime: 60,
      closeTime: 120,
      open: 101,
      high: 102,
      low: 100,
      close: 101.5,
      volume: 1,
    });
  });

  it('rowsInRange: the rows barsFromColumns yields, when they are consecutive', async () => {
    const time = fc.integer({ min: 0, max: 20 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(time, { maxLength: 30 }),
        fc.option(time, { nil: undefined }),
        fc.option(time, { nil: undefined }),
        async (times, from, to) => {
          const cols = columns(times);
          const range = { instrumentId: 'X', from, to };
          const yielded = (await collect(barsFromColumns(cols, range))).map((b) => b.open - 100);
          const rows = rowsInRange(cols, range);
          const consecutive =
            yielded.length > 0 && yielded.every((row, i) => row === yielded[0]! + i);
          expect(rows).toEqual(
            consecutive ? { start: yielded[0], end: yielded[yielded.length - 1]! + 1 } : null,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
