// The columnar row split into its two measured parts, from the same run: the per-bar path (the
// same SMAs never trading) and the orders (the difference, per order), against what the target
// leaves an order beside that per-bar path.

interface Row {
  events: number;
  seconds: number;
  cpuSeconds: number;
  orders: number;
}

export interface OrderShare {
  orders: number;
  /** Wall and CPU µs an order: the trading row less the never-trading row, over its orders. */
  wallMicrosPerOrder: number;
  cpuMicrosPerOrder: number;
  /** Wall µs an order the target leaves beside the never-trading row (≤ 0: none). */
  budgetMicrosPerOrder: number;
  line: string;
}

export function orderShare(trading: Row, neverTrading: Row, targetPerSecond: number): OrderShare {
  const { orders } = trading;
  const perOrder = (s: number) => (s / orders) * 1e6;
  const wall = perOrder(trading.seconds - neverTrading.seconds);
  const cpu = perOrder(trading.cpuSeconds - neverTrading.cpuSeconds);
  const budget = perOrder(trading.events / targetPerSecond - neverTrading.seconds);
  const target = targetPerSecond.toLocaleString('en-US');
  const line =
    budget > 0
      ? `the orders (${orders.toLocaleString('en-US')}): ${wall.toFixed(1)} µs an order of wall time (${cpu.toFixed(1)} CPU), against ${budget.toFixed(1)} µs an order that ${target} bars/s leaves beside the per-bar path: ${(wall / budget).toFixed(1)}× over`
      : `the per-bar path alone (never trading, ${neverTrading.seconds.toFixed(3)} s) is over what ${target} bars/s allows`;
  return {
    orders,
    wallMicrosPerOrder: wall,
    cpuMicrosPerOrder: cpu,
    budgetMicrosPerOrder: budget,
    line,
  };
}
