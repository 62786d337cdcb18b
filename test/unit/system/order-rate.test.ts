import { BINANCE_ORDER_LIMIT, OrderRate } from '../../../src/system/order-rate.js';
import { venueBudget } from '../../../src/system/venue-budget.js';

describe('OrderRate', () => {
  it('admits `limit` orders per window, then says when the oldest slot frees', () => {
    const rate = new OrderRate(() => ({ limit: 3, intervalMs: 10_000 }));
    expect([0, 1_000, 2_000].map((t) => rate.admit(t, `o${t}`))).toEqual([0, 0, 0]);
    expect(rate.admit(4_000, 'a')).toBe(6_000);
    expect(rate.admit(9_999, 'b')).toBe(1);
    // The refused ones took no slot: the first frees at 10 s.
    expect(rate.admit(10_000, 'c')).toBe(0);
    expect(rate.admit(10_500, 'd')).toBe(500);
  });

  it('takes one slot per order: an order asked again (entry, then the risk gate) holds its own', () => {
    const rate = new OrderRate(() => ({ limit: 2, intervalMs: 10_000 }));
    expect(rate.admit(0, 'api-1')).toBe(0);
    expect(rate.admit(1, 'api-1')).toBe(0);
    expect(rate.admit(2, 'strategy-1')).toBe(0);
    expect(rate.admit(3, 'api-1')).toBe(0);
    expect(rate.admit(4, 'strategy-2')).toBe(9_996);
    // Once out of the window, an old id is a new order again.
    expect(rate.admit(10_001, 'api-1')).toBe(0);
  });

  it('follows a rule that changes (the venue advertises its own)', () => {
    let limit = 1;
    const rate = new OrderRate(() => ({ limit, intervalMs: 10_000 }));
    expect(rate.admit(0, 'a')).toBe(0);
    expect(rate.admit(1, 'b')).toBeGreaterThan(0);
    limit = 2;
    expect(rate.admit(2, 'c')).toBe(0);
  });

  it('defaults to Binance’s documented 50 per 10 s', () => {
    expect(BINANCE_ORDER_LIMIT).toEqual({ limit: 50, intervalMs: 10_000 });
  });
});

describe('venueBudget: the venue’s order limit', () => {
  it('tells the tightest ORDERS limit the venue advertises, and nothing without one', () => {
    const told: unknown[] = [];
    const b = venueBudget(null, {
      alert: () => undefined,
      log: () => undefined,
      orderLimit: (l) => told.push(l),
    });
    b.onRateLimits!([{ type: 'REQUEST_WEIGHT', intervalMs: 60_000, limit: 6_000 }]);
    b.onRateLimits!([
      { type: 'ORDERS', intervalMs: 86_400_000, limit: 200_000 },
      { type: 'ORDERS', intervalMs: 10_000, limit: 100 },
    ]);
    expect(told).toEqual([{ limit: 100, intervalMs: 10_000 }]);
  });
});
