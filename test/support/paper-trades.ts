import path from 'node:path';
import { SimulatedExchange } from '../../src/trading/backtest/simulated-exchange.js';
import { BarAggregator } from '../../src/trading/data/bar-aggregator.js';
import type { Bar, MarketEvent, TradeTick } from '../../src/trading/data/market-data.js';
import type { NodeVenue } from '../../src/trading/live/trading-node.js';
import type { Instrument } from '../../src/trading/model/instrument.js';
import type { OrderEvent } from '../../src/trading/model/order-events.js';
import { openTrades } from '../../src/trading/venues/replay/open-data.js';
import { instrument } from './builders.js';
import { DATA } from './run-cli.js';

/** The instrument of `realTrades`: XRP/ETH, freqtrade's sample, with its tick, lot and fees. */
export const XRP_ETH = instrument({
  id: 'XRP/ETH',
  base: 'XRP',
  quote: 'ETH',
  tickSize: '0.00000001',
  lotSize: '1',
  makerFee: '0.001',
  takerFee: '0.001',
});

/** Real public trades of XRP/ETH (freqtrade's sample), as `instrument`'s ticks. */
export async function realTrades(inst: Instrument): Promise<TradeTick[]> {
  const out: TradeTick[] = [];
  const file = path.join(DATA, 'freqtrade/XRP_ETH-trades.json.gz');
  for await (const batch of openTrades(file, { instrumentId: inst.id })) out.push(...batch);
  return out;
}

/**
 * The first `count` of `realTrades` and their one-minute bars, as a live feed hands them: each bar
 * after its trades (`events`), and the bars alone.
 */
export async function tradesWithBars(
  inst: Instrument,
  count: number,
): Promise<{ events: MarketEvent[]; bars: Bar[] }> {
  const events: MarketEvent[] = [];
  const bars: Bar[] = [];
  const agg = new BarAggregator(60_000, (b) => {
    bars.push(b);
    events.push(b);
  });
  for (const t of (await realTrades(inst)).slice(0, count)) {
    agg.push(t);
    events.push(t);
  }
  agg.flush();
  return { events, bars };
}

/** `items` as a feed of batches of `size`. */
export async function* batches<T>(items: readonly T[], size: number): AsyncIterable<readonly T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * A paper node's venue: the backtester's simulated exchange, reporting to `deliver` (or `sim`, one
 * that outlives the node, reporting where its maker says).
 */
export function simVenue(
  inst: Instrument,
  deliver: (event: OrderEvent) => void,
  sim = new SimulatedExchange({ venue: 'SIM', instruments: [inst] }, deliver),
): NodeVenue {
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
