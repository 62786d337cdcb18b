import fc from 'fast-check';
import { Dec } from '../../../../../src/trading/core/decimal.js';
import {
  closeAdjuster,
  tickRounder,
} from '../../../../../src/trading/data/readers/adjust-close.js';
import { readCsvBars } from '../../../../../src/trading/data/readers/csv-bars.js';
import { collect } from '../../../../support/collect.js';

async function* bytes(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text);
}

describe('tickRounder', () => {
  it("rounds half to even on the number's exact binary value, as Python's round does", () => {
    const cent = tickRounder('0.01');
    // Exact ties (k/8) go to the even cent; 2.675 and 1.005 are stored just below the tie.
    expect([23.625, 30.875, 0.125, 0.375, 2.675, 1.005, 1.015].map(cent)).toEqual([
      23.62, 30.88, 0.12, 0.38, 2.67, 1, 1.01,
    ]);
    expect([-23.625, 22.274999, 22.275001, 0].map(cent)).toEqual([-23.62, 22.27, 22.28, 0]);
    expect(tickRounder('1')(2.5)).toBe(2);
    expect(tickRounder('0.05')(1.125)).toBe(1.1);
    expect(tickRounder('0.05')(1.175)).toBe(1.2);
    expect(() => tickRounder('0')).toThrow(new RangeError('tick 0: must be positive'));
  });

  it('gives the multiple of the tick nearest the exact value, for any tick and value (property)', () => {
    const ticks = fc.constantFrom(
      // Powers of ten (the float path while 10^pow is a double: down to 1e-22)...
      '1',
      '0.1',
      '0.01',
      '0.001',
      '1e-8',
      '1e-15',
      '1e-22',
      '1e-23',
      '1e-30',
      // ...and others, some that start or end like one.
      '0.05',
      '0.25',
      '0.015',
      '0.21',
      '1.5',
      '0.0125',
      '10',
    );
    const values = (tick: string) => {
      const t = Number(tick);
      return fc.oneof(
        // Any double (most of them far under any tick).
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        // Prices as a file writes them: up to 8 decimals.
        fc
          .tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 8 }))
          .map(([n, d]) => n / 10 ** d),
        // On the tick's own scale: up to a billion ticks, with any fraction of one.
        fc
          .tuple(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 2 ** 20 }))
          .map(([k, f]) => (k + f / 2 ** 20) * t),
        // Ties, as near as a double gets to one.
        fc.integer({ min: 0, max: 1e9 }).map((k) => (k + 0.5) * t),
        // 2^52 ticks and more (a volume in a cheap coin's units): no half is a double there.
        fc
          .tuple(fc.integer({ min: 2 ** 22, max: 2 ** 30 }), fc.integer({ min: 0, max: 2 ** 30 }))
          .map(([hi, lo]) => (hi * 2 ** 30 + lo) * t),
      );
    };
    fc.assert(
      fc.property(
        ticks.chain((tick) => fc.tuple(fc.constant(tick), values(tick))),
        ([tick, x]) => {
          const got = tickRounder(tick)(x);
          const exact = Dec(x.toFixed(100));
          const want = exact.div(tick).round(0, Dec.roundHalfEven).times(tick);
          expect(got).toBe(Number(want.toString()));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('passes values that are not finite through, for any tick', () => {
    for (const tick of ['1', '0.01', '1e-23', '0.05'])
      for (const x of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
        expect(tickRounder(tick)(x)).toBe(x);
  });
});

describe('closeAdjuster', () => {
  it("scales open, high and low by adj close / close and takes adj close as the close (backtrader's Yahoo feed)", () => {
    // ORCL 2000-01-06 in backtrader's 2015 sample file: the guide's BUY EXECUTED at 23.61.
    // Volume: backtrader's `v *= c / adjustedclose; v = round(v, 0)`, 5e6 × 96 / 22.63 =
    // 21210782.1475... → 21210782.
    expect(closeAdjuster('0.01')(100.16, 105, 94.69, 96, 5_000_000, 22.63)).toEqual([
      23.61, 24.75, 22.32, 22.63, 21210782,
    ]);
    expect(closeAdjuster('0.01')(1, 1, 1, 1, 1, 0)).toBeNull();
    expect(closeAdjuster('0.01')(1, 1, 1, 1, 1, NaN)).toBeNull();
  });

  it("scales volume by close / adj close and rounds it half to even to a whole number (backtrader's adjvolume, roundvolume=0)", () => {
    const adjust = closeAdjuster('0.01');
    const volume = (c: number, v: number, adj: number) => adjust(1, 1, 1, c, v, adj)![4];
    // By hand from backtrader's _loadline: factor = c / adj; v * factor; Python's round(x, 0).
    expect(volume(2, 5, 4)).toBe(2); // 2.5 → 2 (half to even)
    expect(volume(2, 7, 4)).toBe(4); // 3.5 → 4
    expect(volume(3, 1, 2)).toBe(2); // 1.5 → 2
    expect(volume(3, 3, 2)).toBe(4); // 4.5 → 4
    expect(volume(1, 0, 1)).toBe(0);
    expect(volume(24, 109_880_000, 21.347761)).toBe(123_531_456); // 123531456.0623...
    expect(volume(1, NaN, 1)).toBeNaN();
  });
});

describe('readCsvBars with adjustClose', () => {
  const opts = { source: 'y.csv', instrumentId: 'X', adjustClose: { tick: '0.01' } };
  const header = 'Date,Open,High,Low,Close,Adj Close,Volume\n';

  it('adjusts every row and its volume, on the fast path and the general one', async () => {
    const rows = '2000-01-06,25.039049,26.25,23.671875,24,21.347761,109880000\n';
    const epoch = '947116800,25.039049,26.25,23.671875,24,21.347761,109880000\n';
    for (const text of [header + rows, header + epoch]) {
      const bars = (await collect(readCsvBars(bytes(text), opts))).flat();
      expect(bars.map((b) => [b.open, b.high, b.low, b.close, b.volume])).toEqual([
        // Volume 109880000 × 24 / 21.347761 = 123531456.06..., rounded to 123531456.
        [22.27, 23.35, 21.06, 21.35, 123531456],
      ]);
    }
    const plain = await collect(
      readCsvBars(bytes(header + rows), { source: 'y.csv', instrumentId: 'X' }),
    );
    expect(plain.flat()[0]).toMatchObject({ open: 25.039049, close: 24, volume: 109880000 });
  });

  it('names a missing Adj Close column and a bad value', async () => {
    await expect(
      collect(readCsvBars(bytes('Date,Open,High,Low,Close\n2000-01-03,1,1,1,1\n'), opts)),
    ).rejects.toThrow('y.csv:1: field "adj close": header has no adj close column');
    await expect(
      collect(readCsvBars(bytes(`${header}2000-01-03,1,1,1,1,0,5\n`), opts)),
    ).rejects.toThrow('y.csv:2: field "adj close": is not a positive number');
  });
});
