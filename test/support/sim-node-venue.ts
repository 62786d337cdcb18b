import { SimulatedExchange } from '../../src/trading/backtest/simulated-exchange.js';
import type { NodeVenue } from '../../src/trading/live/trading-node.js';
import type { Instrument } from '../../src/trading/model/instrument.js';
import type { OrderEvent } from '../../src/trading/model/order-events.js';

/**
 * The backtester's exchange as a node's venue: it matches the bars (and trades) the node plays
 * and answers reconciliation from its own records.
 */
export function simNodeVenue(
  instruments: readonly Instrument[],
  deliver: (e: OrderEvent) => void,
): NodeVenue {
  const sim = new SimulatedExchange({ venue: 'SIM', instruments: [...instruments] }, deliver);
  return {
    submit: (o, ts) => sim.submit(o, ts),
    cancel: (id, ts) => sim.cancel(id, ts),
    onBar: (b) => sim.onBar(b),
    onTrade: (t) => sim.onTrade(t),
    orderByClientId: (id) => sim.orderByClientId(id),
    openOrders: () => sim.openOrders(),
    tradesSince: (ts) => sim.tradesSince(ts),
  };
}
