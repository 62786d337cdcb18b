import fc from 'fast-check';
import { Dec, type Decimal } from '../../../../src/trading/core/decimal.js';
import { DayPnl } from '../../../../src/trading/portfolio/day-pnl.js';

const DAY = 86_400_000;

describe('DayPnl', () => {
  it('is the equity change since the first moment seen in the current UTC day', () => {
    let equity: Decimal = Dec(1000);
    const day = new DayPnl(() => equity);
    day.observe(3 * DAY + 5);
    equity = Dec(940);
    expect(day.value(3 * DAY + 600_000).toFixed()).toBe('-60');
    equity = Dec(900);
    // The next day starts from the equity it opens with.
    expect(day.value(4 * DAY).toFixed()).toBe('0');
    equity = Dec(950);
    expect(day.value(4 * DAY + 1).toFixed()).toBe('50');
  });

  it('never resets within a day, however often it is read', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: DAY - 1 }), fc.integer({ min: -500, max: 500 })),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        (steps) => {
          let equity = Dec(10_000);
          const day = new DayPnl(() => equity);
          const sorted = [...steps].sort((a, b) => a[0] - b[0]);
          day.observe(7 * DAY + sorted[0]![0]);
          let moved = Dec(0);
          for (const [t, delta] of sorted) {
            equity = equity.plus(delta);
            moved = moved.plus(delta);
            expect(day.value(7 * DAY + t).toFixed()).toBe(moved.toFixed());
          }
        },
      ),
    );
  });
});
