import fc from 'fast-check';
import { Dec } from '../../../../src/trading/core/decimal.js';
import { EquityRecorder } from '../../../../src/trading/backtest/equity-recorder.js';
import { barsFromColumns } from '../../../../src/trading/data/bar-columns.js';
import { collect } from '../../../support/collect.js';

describe('EquityRecorder', () => {
  it('gives the exact equity at every bar: cash after the last fill + position × close', () => {
    // Cash of 1 to 25 digits (past 15 it is kept as a decimal, below as an integer), zero,
    // negative zero, either sign.
    const cash = fc.oneof(
      fc
        .tuple(
          fc.boolean(),
          fc.stringMatching(/^[1-9][0-9]{0,24}$/),
          fc.integer({ min: -12, max: 6 }),
        )
        .map(([neg, digits, exp]) => Dec(`${neg ? '-' : ''}${digits}e${exp}`)),
      fc.constantFrom(Dec(0), Dec('-0'), Dec('1000000')),
    );
    const step = fc.record({
      fill: fc.option(fc.tuple(cash, fc.constantFrom(Dec(0), Dec(10), Dec('-2.5'))), {
        nil: undefined,
      }),
      close: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
    });
    fc.assert(
      fc.property(cash, fc.array(step, { minLength: 1, maxLength: 30 }), (start, steps) => {
        const rec = new EquityRecorder(start, 4);
        let state = { cash: start, qty: Dec(0) };
        const expected: string[] = [];
        steps.forEach((s, i) => {
          if (s.fill) {
            state = { cash: s.fill[0], qty: s.fill[1] };
            rec.onFill(state.cash, state.qty);
          }
          rec.onBar(i, s.close, s.close, s.close, s.close);
          const e = state.qty.eq(0) ? state.cash : state.cash.plus(state.qty.times(Dec(s.close)));
          expected.push(`${e.s} ${e.e} ${e.c.join('')}`);
        });
        const got = steps.map((_, i) => {
          const e = rec.exactEquity(i);
          return `${e.s} ${e.e} ${e.c.join('')}`;
        });
        expect(got).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('EquityRecorder lent columns', () => {
  const cols = () => {
    const n = 6;
    const f = (k: number) => Float64Array.from({ length: n }, (_, i) => 10 * k + i);
    return {
      length: n,
      openTime: f(0),
      closeTime: f(1),
      open: f(2),
      high: f(3),
      low: f(4),
      close: f(5),
      volume: f(6),
    };
  };

  it('reads the times and prices of its rows, writes only the equity, and copies them past the end', async () => {
    const c = cols();
    const lent = new EquityRecorder(Dec(100), 2);
    const copied = new EquityRecorder(Dec(100), 2);
    lent.useColumns(c, 2, 4);
    const before = [...c.close];
    const bars = await collect(barsFromColumns(c, { instrumentId: 'X', from: c.openTime[2] }));
    bars.forEach((bar, i) => {
      if (i === 1) {
        lent.onFill(Dec(50), Dec(2));
        copied.onFill(Dec(50), Dec(2));
      }
      lent.recordBar(bar);
      copied.recordBar(bar);
    });
    // rows 2 and 3 lent, 4 and 5 past the end: the arrays are copies from then on
    expect([...c.close]).toEqual(before);
    for (const key of ['times', 'opens', 'highs', 'lows', 'closes', 'equity'] as const)
      expect([...lent[key].subarray(0, 4)]).toEqual([...copied[key].subarray(0, 4)]);
    expect([lent.length, lent.barsInMarket]).toEqual([4, 3]);
    expect([0, 1, 2, 3].map((i) => lent.exactEquity(i).toFixed())).toEqual(
      [0, 1, 2, 3].map((i) => copied.exactEquity(i).toFixed()),
    );
    expect(lent.closes).not.toBe(c.close);
  });

  it('takes columns only before its first bar', () => {
    const rec = new EquityRecorder(Dec(100));
    rec.onBar(1, 1, 1, 1, 1);
    expect(() => rec.useColumns(cols(), 0, 6)).toThrow('columns after the first bar');
  });
});
