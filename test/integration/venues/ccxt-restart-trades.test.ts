import type { MarketEvent } from '../../../src/trading/data/market-data.js';
import { isTrade } from '../../../src/trading/data/market-data.js';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { start } from '../../../src/simulators/binance/server.js';
import { CcxtMarketData } from '../../../src/trading/venues/ccxt/ccxt-market-data.js';
import { manualMarket, simExchange, syntheticBars, until } from '../../support/ccxt-sim.js';

/**
 * `kairos live` (and `paper --exchange`) with `onTrade`, restarted in the bar it died in: the
 * feed hands over again that bar's trades from the node's snapshot on, before the bar, then the
 * trades after it, as the uninterrupted run heard them (`docs/paper.md`, point 5). The Binance
 * simulator in manual time: four trades a bar, revealed one step at a time.
 */
describe('a restarted feed hands over the trades of the bar the node died in', () => {
  let sim: BinanceSim;
  afterAll(async () => {
    await sim.close();
  });

  it('its trades from the snapshot on, before the bar; then the trades after it', async () => {
    const bars = syntheticBars(30);
    sim = await start(manualMarket(bars, 20));
    const m = sim.market;
    // The node died in bar 20 (two trades heard), its snapshot at bar 19's close; the venue
    // closed bar 20 while it was down and shows one trade of bar 21.
    for (let i = 0; i < 4 + 1 + 1; i++) m.step();
    const snapshotTs = m.bar(20).openTime;
    expect(m.now()).toBeGreaterThanOrEqual(m.bar(20).closeTime);
    const seen: string[] = [];
    const tag = (e: MarketEvent) =>
      isTrade(e) ? `T${e.tradeId}` : `B${(e.openTime - bars[0]!.openTime) / 60_000}`;
    const feed = new CcxtMarketData({
      exchange: await simExchange(sim, { pro: true }),
      symbol: 'BTC/USDT',
      timeframe: '1m',
      since: m.bar(18).openTime,
      mode: 'ws',
      now: () => m.now(),
      onBars: (b) => seen.push(...b.map(tag)),
      onTrades: (t) => seen.push(...t.map(tag)),
    });
    await feed.start({ tradesSince: snapshotTs });
    // Trade ids are 1-based: bar 20's are 81..84, bar 21's 85…
    expect(seen).toEqual(['B18', 'B19', 'T81', 'T82', 'T83', 'T84', 'B20']);
    // The stream's first update brings the trades after the bar from REST, then its own: the
    // market moves on until a trade of a later bar arrives.
    let steps = 0;
    await until(
      () => {
        if (steps++ % 20 === 0) m.step();
        return seen.some((s) => s.startsWith('T') && Number(s.slice(1)) >= 87);
      },
      10_000,
      'the trades after the bar',
    );
    await feed.stop();
    const later = seen.slice(7).filter((s) => s.startsWith('T'));
    expect(later).toEqual(later.map((_, i) => `T${85 + i}`));
  });
});
