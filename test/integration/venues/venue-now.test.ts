import { openVenueFeed } from '../../../src/cli/venue-feed.js';
import type { Config } from '../../../src/system/config.js';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { startLiveSim, until } from '../../support/ccxt-sim.js';

const MINUTE = 60_000;

describe("kairos live takes 'now' from the venue", () => {
  let sim: BinanceSim;
  afterEach(async () => {
    await sim.close();
  });

  it('a simulator replaying 600x, started a while ago: every bar already closed there is history', async () => {
    sim = await startLiveSim({ realtime: { speed: 600 }, weightPerMinute: 6000 });
    // The user takes their time between steps: the venue's market runs 20 bars ahead of its clock.
    const wall0 = Date.now();
    await until(() => sim.market.now() > wall0 + 20 * MINUTE, 10_000, 'the market to run ahead');
    const lines: string[] = [];
    // The venue's clock when the node starts (it moves 10 minutes a second meanwhile).
    const startedFrom = sim.market.now();
    const feed = await openVenueFeed(
      { redisUrl: undefined, exchange: {} } as unknown as Config,
      {
        exchange: 'binance',
        symbol: 'BTC/USDT',
        timeframe: '1m',
        exchangeUrl: sim.url,
        warmup: '5',
      },
      { apiKey: sim.apiKey, secret: sim.secret },
      { alert: () => undefined, log: (l) => lines.push(l) },
    );
    try {
      const venueNow = sim.market.now();
      // Bars that closed at the venue before the node started only warm it: none is traded as new.
      expect(feed.startedAt).toBeGreaterThan(startedFrom - 2 * MINUTE);
      expect(feed.startedAt).toBeLessThanOrEqual(venueNow);
      expect(lines.join('\n')).toMatch(/request budget: 80 % of the 6000 weight per 60 s/);
    } finally {
      await feed.close();
    }
  }, 30_000);
});
