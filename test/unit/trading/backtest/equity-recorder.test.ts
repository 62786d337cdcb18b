import fc from 'fast-check';
import { Dec } from '../../../../src/trading/core/decimal.js';
import { EquityRecorder } from '../../../../src/trading/backtest/equity-recorder.js';

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
