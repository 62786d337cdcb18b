import type { ReplayMarket } from '../../src/simulators/binance/market.js';
import type { BinanceSimState } from '../../src/simulators/binance/server.js';
import type { executionHarness } from './execution-harness.js';
import { until } from './until.js';

/**
 * A buy limit price under the last trade that a coming replayed trade reaches (the first one
 * below it), and that trade's id: a buy resting there is not filled on arrival, and is filled by
 * that trade when `revealTo` reaches it.
 */
export function nextDip(market: ReplayMarket): {
  readonly price: string;
  readonly tradeId: number;
} {
  const last = market.lastPrice()!;
  for (let id = market.revealedTrades + 1; ; id++) {
    const t = market.tick(id);
    if (t.price < last) return { price: t.price.toFixed(2), tradeId: id };
  }
}

/** Reveals the replay up to the public trade `tradeId`. */
export function revealTo(market: ReplayMarket, tradeId: number): void {
  while (market.revealedTrades < tradeId) market.step();
}

/**
 * Rests a 5 BTC buy at `nextDip`, lets the replay fill part of it in `trades` trades (the venue's
 * `tradesPerFill`), cancels it and waits until the OMS has ended it or an alert was raised. The
 * client hears of the fills only from the cancel's outcome (no stream): it must fetch them all.
 * Expects the order cancelled with the venue's filled quantity, one fill per venue trade and no
 * alert (`VENUE_FILLS_MISSING`). `venueId` is the client order id as the venue holds it.
 */
export async function expectEveryFillAfterCancel(
  h: Awaited<ReturnType<typeof executionHarness>>,
  venue: {
    readonly market: ReplayMarket;
    readonly state: Pick<BinanceSimState, 'orders' | 'trades'>;
  },
  trades: number,
  venueId: (clientOrderId: string) => string = (id) => id,
): Promise<void> {
  const dip = nextDip(venue.market);
  const buy = h.send({ side: 'BUY', quantity: '5', price: dip.price });
  await h.client.idle();
  expect(h.exec.order(buy.clientOrderId)!.status).toBe('ACCEPTED');
  revealTo(venue.market, dip.tradeId);
  const atVenue = venue.state.orders().find((o) => o.clientOrderId === venueId(buy.clientOrderId))!;
  expect(venue.state.trades().filter((t) => t.orderId === atVenue.orderId)).toHaveLength(trades);
  h.cancel(buy.clientOrderId);
  const id = buy.clientOrderId;
  await until(
    () => h.exec.order(id)!.status === 'CANCELED' || h.alerts.length > 0,
    30_000,
    'the cancel and its fills',
  );
  expect(h.alerts).toEqual([]);
  const order = h.exec.order(id)!;
  expect(order).toMatchObject({ status: 'CANCELED', reason: 'CANCELED_BY_USER' });
  expect(order.filledQuantity.toFixed()).toBe(atVenue.executedQty.toFixed());
  expect(h.events.filter((e) => e.kind === 'OrderFilled' && e.clientOrderId === id)).toHaveLength(
    trades,
  );
}
