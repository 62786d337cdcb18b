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
    expect(() => tickRounder('0')).toThrow(RangeError);
  });

  it('gives the multiple of the tick nearest the exact value (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.constantFrom('0.01', '0.001', '1', '0.05', '0.25'),
        (x, tick) => {
          const got = tickRounder(tick)(x);
          const exact = Dec(x.toFixed(100));
          const want = exact.div(tick).round(0, Dec.roundHalfEven).times(tick);
          expect(got).toBe(Number(want.toString()));
        },
      ),
    );
  });
});

describe('closeAdjuster', () => {
  it("scales open, high and low by adj close / close and takes adj close as the close (backtrader's Yahoo feed)", () => {
    // ORCL 2000-01-06 in backtrader's 2015 sample file: the guide's BUY EXECUTED at 23.61.
    expect(closeAdjuster('0.01')(100.16, 105, 94.69, 96, 22.63)).toEqual([
      23.61, 24.75, 22.32, 22.63,
    ]);
    expect(closeAdjuster('0.01')(1, 1, 1, 1, 0)).toBeNull();
    expect(closeAdjuster('0.01')(1, 1, 1, 1, NaN)).toBeNull();
  });
});

describe('readCsvBars with adjustClose', () => {
  const opts = { source: 'y.csv', instrumentId: 'X', adjustClose: { tick: '0.01' } };
  const header = 'Date,Open,High,Low,Close,Adj Close,Volume\n';

  it('adjusts every row, on the fast path and the general one, and leaves volume alone', async () => {
    const rows = '2000-01-06,25.039049,26.25,23.671875,24,21.347761,109880000\n';
    const epoch = '947116800,25.039049,26.25,23.671875,24,21.347761,109880000\n';
    for (const text of [header + rows, header + epoch]) {
      const bars = (await collect(readCsvBars(bytes(text), opts))).flat();
      expect(bars.map((b) => [b.open, b.high, b.low, b.close, b.volume])).toEqual([
        [22.27, 23.35, 21.06, 21.35, 109880000],
      ]);
    }
    const plain = await collect(
      readCsvBars(bytes(header + rows), { source: 'y.csv', instrumentId: 'X' }),
    );
    expect(plain.flat()[0]).toMatchObject({ open: 25.039049, close: 24 });
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
