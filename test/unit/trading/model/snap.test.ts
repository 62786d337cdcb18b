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
        for (const v of [down, up, near]) expect(isOnGrid(v, step)).toBe(true);
        expect(down.lte(x)).toBe(true);
        expect(up.gte(x)).toBe(true);
        expect(up.minus(down).lte(step)).toBe(true);
        expect(near.minus(x).abs().times(2).lte(step)).toBe(true);
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
          expect(isOnGrid(order.quantity, inst.lotSize)).toBe(true);
          expect(isOnGrid(order.price!, inst.tickSize)).toBe(true);
          expect(order.quantity.lte(q)).toBe(true);
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
            expect(d?.reason).toBe('QUANTITY_ROUNDS_TO_ZERO');
          if (order.price!.eq(0)) expect(d).not.toBeNull();
          if (d === null) {
            expect(order.quantity.gt(0)).toBe(true);
            expect(order.price!.gt(0)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
