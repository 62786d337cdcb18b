import fc from 'fast-check';
import { Dec } from '../../../../src/trading/core/decimal.js';
import { makeOrder } from '../../../../src/trading/execution/order-factory.js';
import {
  isOnGrid,
  snapPrice,
  snapQuantity,
  snapToGrid,
} from '../../../../src/trading/model/snap.js';
import { preTradeCheck } from '../../../../src/trading/risk/pre-trade-check.js';
import { instrument } from '../../../support/builders.js';
import { hot } from '../../../support/hot-expect.js';

const steps = fc.constantFrom('1', '0.01', '0.5', '0.001', '0.00000001', '0.25', '5', '0.003');
const decimal = fc
  .tuple(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 10 }))
  .map(([m, e]) => Dec(m).div(Dec(10).pow(e)));

describe('snapping to the grid', () => {
  it('always lands on the grid, down ≤ x ≤ up, nearest within half a step', () => {
    fc.assert(
      fc.property(decimal, steps, (x, s) => {
        const step = Dec(s);
        const down = snapToGrid(x, step, 'down');
        const up = snapToGrid(x, step, 'up');
        const near = snapToGrid(x, step, 'nearest');
        for (const v of [down, up, near]) hot(isOnGrid(v, step)).toBe(true);
        hot(down.lte(x)).toBe(true);
        hot(up.gte(x)).toBe(true);
        hot(up.minus(down).lte(step)).toBe(true);
        hot(near.minus(x).abs().times(2).lte(step)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('never rounds a quantity up, and prices move the side that never costs more', () => {
    expect(snapQuantity(Dec('10.99'), Dec('1')).toFixed()).toBe('10');
    expect(snapPrice(Dec('100.009'), Dec('0.01'), 'down').toFixed()).toBe('100');
    expect(snapPrice(Dec('100.001'), Dec('0.01'), 'up').toFixed()).toBe('100.01');
  });

  it('makes every order on the grid, or denies it with a reason — never a zero order sent', () => {
    fc.assert(
      fc.property(
        decimal,
        decimal,
        steps,
        steps,
        fc.constantFrom('BUY', 'SELL'),
        (q, p, lot, tick, side) => {
          const inst = instrument({ lotSize: lot, tickSize: tick, minQuantity: lot });
          const { order, denial } = makeOrder(
            {
              side: side as 'BUY' | 'SELL',
              type: 'LIMIT',
              quantity: q.toFixed(),
              price: p.toFixed(),
            },
            inst,
            {
              clientOrderId: 'x',
              accountId: 'paper',
              strategyId: 's',
              ts: 0,
            },
          );
          hot(isOnGrid(order.quantity, inst.lotSize)).toBe(true);
          hot(isOnGrid(order.price!, inst.tickSize)).toBe(true);
          hot(order.quantity.lte(q)).toBe(true);
          const d =
            denial ??
            preTradeCheck(order, inst, {
              freeCash: Dec('1e30'),
              position: Dec('1e30'),
              openSellQuantity: Dec(0),
              openBuyQuantity: Dec(0),
              lastPrice: Dec(1),
              allowShort: true,
            });
          if (order.quantity.eq(0))
            expect(d?.reason).toMatch(/QUANTITY_ROUNDS_TO_ZERO|QUANTITY_INVALID|PRICE_INVALID/);
          if (order.quantity.eq(0) && order.price!.gt(0) && q.gt(0))
            hot(d?.reason).toBe('QUANTITY_ROUNDS_TO_ZERO');
          if (order.price!.eq(0)) expect(d).not.toBeNull();
          if (d === null) {
            hot(order.quantity.gt(0)).toBe(true);
            hot(order.price!.gt(0)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// Floor division on BigInt at the common scale: the grid arithmetic written independently.
function onGridByInteger(x: string, step: string) {
  const places = (s: string) => (s.split('.')[1] ?? '').length;
  const scale = Math.max(places(x), places(step));
  const scaled = (s: string) => BigInt(Dec(s).times(Dec(10).pow(scale)).toFixed());
  const xs = scaled(x);
  const ss = scaled(step);
  const rem = ((xs % ss) + ss) % ss; // ≥ 0 for a negative x too
  const floor = xs - rem;
  const ceil = rem === 0n ? xs : floor + ss;
  const nearest = rem === 0n ? xs : rem * 2n >= ss ? ceil : floor;
  const text = (n: bigint) => Dec(n.toString()).div(Dec(10).pow(scale)).toFixed();
  return { down: text(floor), up: text(ceil), nearest: text(nearest), onGrid: rem === 0n };
}

describe('snapping values of any size (18-decimal tokens, quantities past 15 digits)', () => {
  // Up to 30 significant digits and 24 places, either sign: past the safe-integer fast path.
  const big = fc
    .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 24 }))
    .map(([m, places]) => Dec(m.toString()).div(Dec(10).pow(places)).toFixed());
  const step = fc.constantFrom(
    '1',
    '0.01',
    '0.25',
    '0.000000000000000001',
    '0.000000000000000003',
    '1000000000000000000',
    '123456789.123456789',
  );

  it('lands exactly where integer arithmetic on the grid does, in every mode', () => {
    fc.assert(
      fc.property(big, step, (x, s) => {
        const want = onGridByInteger(x, s);
        hot(snapToGrid(Dec(x), Dec(s), 'down').toFixed()).toBe(want.down);
        hot(snapToGrid(Dec(x), Dec(s), 'up').toFixed()).toBe(want.up);
        hot(snapToGrid(Dec(x), Dec(s), 'nearest').toFixed()).toBe(want.nearest);
        hot(isOnGrid(Dec(x), Dec(s))).toBe(want.onGrid);
        // A value already on the grid stays where it is, in every mode.
        hot(snapToGrid(Dec(want.down), Dec(s), 'down').toFixed()).toBe(want.down);
        hot(snapToGrid(Dec(want.down), Dec(s), 'up').toFixed()).toBe(want.down);
        hot(isOnGrid(Dec(want.up), Dec(s))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('moves a trigger exactly halfway between two ticks to the upper tick, at any size', () => {
    for (const [x, tick, up] of [
      ['100.005', '0.01', '100.01'],
      ['-100.005', '0.01', '-100'],
      ['1234567890123456.5', '1', '1234567890123457'],
      ['0.0000000000000000015', '0.000000000000000001', '0.000000000000000002'],
    ] as const) {
      expect(snapToGrid(Dec(x), Dec(tick), 'nearest').toFixed()).toBe(up);
      // Just below the half goes down.
      const below = Dec(x).minus(Dec(tick).div(1000));
      expect(snapToGrid(below, Dec(tick), 'nearest').toFixed()).toBe(
        snapToGrid(Dec(x), Dec(tick), 'down').toFixed(),
      );
    }
  });

  it('keeps a value already on a fine grid and a tiny value over a coarse one exact', () => {
    // 1e-16 over a step of 1: the step does not fit a safe integer at that scale.
    expect(snapToGrid(Dec('1e-16'), Dec('1'), 'down').toFixed()).toBe('0');
    expect(snapToGrid(Dec('1e-16'), Dec('1'), 'up').toFixed()).toBe('1');
    expect(snapToGrid(Dec('1e-16'), Dec('1'), 'nearest').toFixed()).toBe('0');
    expect(isOnGrid(Dec('1e-16'), Dec('1'))).toBe(false);
    expect(isOnGrid(Dec('123456789012345678'), Dec('1'))).toBe(true);
    expect(snapToGrid(Dec('123456789012345678'), Dec('1'), 'down').toFixed()).toBe(
      '123456789012345678',
    );
  });

  it('refuses a zero step rather than making up a grid point', () => {
    for (const x of ['1.5', '123456789012345678.5', '0'])
      for (const f of [
        () => snapToGrid(Dec(x), Dec(0), 'down'),
        () => snapToGrid(Dec(x), Dec(0), 'nearest'),
        () => isOnGrid(Dec(x), Dec(0)),
      ])
        expect(f).toThrow();
  });
});
