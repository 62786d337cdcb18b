import { orderShare } from '../../../bench/order-share.js';

const row = (seconds: number, cpuSeconds: number, orders: number) => ({
  events: 1_000_000,
  seconds,
  cpuSeconds,
  orders,
});

describe('the columnar row split into the per-bar path and the orders', () => {
  it('gives what an order costs and what the target leaves it, from the same run', () => {
    // 0.65 s trading, 0.19 s never trading, 40,000 orders: 11.5 µs an order; 3M bars/s allows
    // 0.3333 s, so 0.1433 s for the orders: 3.58 µs an order.
    const s = orderShare(row(0.65, 0.7, 40_000), row(0.19, 0.2, 0), 3_000_000);
    expect(s.wallMicrosPerOrder).toBeCloseTo(11.5, 6);
    expect(s.cpuMicrosPerOrder).toBeCloseTo(12.5, 6);
    expect(s.budgetMicrosPerOrder).toBeCloseTo(3.5833, 3);
    expect(s.line).toBe(
      'the orders (40,000): 11.5 µs an order of wall time (12.5 CPU), against 3.6 µs an order that 3,000,000 bars/s leaves beside the per-bar path: 3.2× over',
    );
  });

  it('says so when the per-bar path alone is over the target', () => {
    const s = orderShare(row(0.65, 0.7, 40_000), row(0.4, 0.4, 0), 3_000_000);
    expect(s.budgetMicrosPerOrder).toBeLessThan(0);
    expect(s.line).toBe(
      'the per-bar path alone (never trading, 0.400 s) is over what 3,000,000 bars/s allows',
    );
  });
});
