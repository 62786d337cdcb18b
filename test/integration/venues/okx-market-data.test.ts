import type { Bar } from '../../../src/trading/data/market-data.js';
import type { OkxSim } from '../../../src/simulators/okx/server.js';
import {
  CcxtMarketData,
  type CcxtMarketDataOptions,
} from '../../../src/trading/venues/ccxt/ccxt-market-data.js';
import { createExchange } from '../../../src/trading/venues/ccxt/exchange-factory.js';
import { MINUTE, until } from '../../support/ccxt-sim.js';
import { okxExchange, startOkxSim } from '../../support/okx-sim.js';

const SYMBOL = 'BTC/USDT';

describe('CcxtMarketData against the OKX simulator (no WebSocket)', () => {
  let sim: OkxSim;
  afterEach(async () => {
    await sim.close();
  });

  /** The simulator replaying at 600x from bar 50, and a candle feed on ccxt.pro okx from bar 45. */
  async function feedOn(over: Partial<CcxtMarketDataOptions>) {
    sim = await startOkxSim({ preloadBars: 50, realtime: { speed: 600, stepMs: 10 } });
    const since = sim.market.bar(45).openTime;
    const { exchange } = await createExchange({
      exchangeId: 'okx',
      exchangeUrl: sim.url,
      pro: true,
      rateLimitMs: 1,
    });
    const bars: Bar[] = [];
    const logs: string[] = [];
    const feed = new CcxtMarketData({
      exchange,
      symbol: SYMBOL,
      timeframe: '1m',
      since,
      onBars: (b) => bars.push(...b),
      onLog: (l) => logs.push(l),
      ...over,
    });
    return { feed, bars, logs, since };
  }

  it("ccxt.pro okx's watchOHLCV finds no WebSocket: the feed polls REST candles, complete and in order", async () => {
    const { feed, bars, logs, since } = await feedOn({
      maxWsFailures: 2,
      backoff: { initialMs: 10, maxMs: 20 },
      pollMs: 100,
    });
    await feed.start();
    // The WebSocket fails twice, then REST polls bring the bars that close meanwhile.
    await until(() => feed.stats.polls >= 3, 10_000, 'polling');
    const polled = bars.length;
    await until(() => bars.length >= polled + 5, 10_000, 'polled bars');
    await feed.stop();
    expect(feed.stats).toMatchObject({ mode: 'rest', wsBars: 0 });
    expect(logs.at(-1)).toMatch(/WebSocket keeps failing; polling REST/);
    bars.forEach((b, i) => expect(b.openTime).toBe(since + i * MINUTE));
    const rest = await okxExchange(sim);
    const venue = await rest.fetchOHLCV(SYMBOL, '1m', since, bars.length);
    await rest.close();
    expect(bars.map((b) => [b.openTime, b.open, b.high, b.low, b.close, b.volume])).toEqual(venue);
  });

  it('while the WebSocket is being retried, bars keep coming from REST after each failure', async () => {
    // It never gives up on the WebSocket here: every bar comes between two attempts.
    const { feed, bars, since } = await feedOn({
      maxWsFailures: 1_000,
      backoff: { initialMs: 50, maxMs: 100 },
    });
    await feed.start();
    const started = bars.length;
    await until(() => bars.length >= started + 5, 10_000, 'bars while the WebSocket fails');
    await feed.stop();
    expect(feed.stats).toMatchObject({ mode: 'ws', wsBars: 0, polls: 0 });
    bars.forEach((b, i) => expect(b.openTime).toBe(since + i * MINUTE));
  });
});
