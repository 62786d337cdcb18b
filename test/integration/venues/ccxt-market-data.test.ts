import { NetworkError } from 'ccxt';
import type { Bar, TradeTick } from '../../../src/trading/data/market-data.js';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { CcxtMarketData } from '../../../src/trading/venues/ccxt/ccxt-market-data.js';
import { MINUTE, simExchange, startSim, until } from '../../support/ccxt-sim.js';

const SYMBOL = 'BTC/USDT';

/** The venue's own closed bars from `from` on, as ccxt reads them (klines over REST). */
async function venueBars(sim: BinanceSim, from: number, count: number): Promise<number[][]> {
  const ex = await simExchange(sim);
  const rows: number[][] = [];
  let since = from;
  while (rows.length < count) {
    const page = (await ex.fetchOHLCV(SYMBOL, '1m', since, 1000)) as number[][];
    if (page.length === 0) break;
    rows.push(...page);
    since = page.at(-1)![0]! + MINUTE;
  }
  await ex.close();
  return rows.slice(0, count);
}

const row = (b: Bar) => [b.openTime, b.open, b.high, b.low, b.close, b.volume];

function expectContiguous(bars: readonly Bar[], from: number): void {
  bars.forEach((b, i) => expect(b.openTime).toBe(from + i * MINUTE));
}

describe('CcxtMarketData against the Binance simulator', () => {
  let sim: BinanceSim;
  afterEach(async () => {
    await sim.close();
  });

  it('a WebSocket disconnect storm: bars stay complete, in order, without duplicates', async () => {
    // One 1m bar every 100 ms of real time; the replay starts now.
    sim = await startSim({ preloadBars: 50, realtime: { speed: 600, stepMs: 10 } });
    const since = sim.market.bar(40).openTime;
    const bars: Bar[] = [];
    const trades: TradeTick[] = [];
    const feed = new CcxtMarketData({
      exchange: await simExchange(sim, { pro: true }),
      symbol: SYMBOL,
      timeframe: '1m',
      since,
      mode: 'ws',
      onBars: (b) => bars.push(...b),
      onTrades: (t) => trades.push(...t),
      backoff: { initialMs: 20, maxMs: 200 },
    });
    await feed.start();
    expect(bars.length).toBeGreaterThanOrEqual(9); // bars 40..49+ from REST first
    const restAtStart = feed.stats.restBars;
    await until(() => feed.stats.wsBars >= 5, 10_000, 'bars over the WebSocket');
    sim.faults.set({ wsDropEveryMs: 80 }); // shorter than a bar: bars close while disconnected
    const stormEnd = Date.now() + 3000;
    await until(() => Date.now() >= stormEnd, 5000, 'storm');
    sim.faults.set({ wsDropEveryMs: null });
    const stormBars = bars.length;
    await until(() => bars.length >= stormBars + 5, 10_000, 'bars after the storm');
    await feed.stop();

    expect(sim.faults.stats.wsDrops).toBeGreaterThanOrEqual(5);
    expect(feed.stats.reconnects).toBeGreaterThanOrEqual(3);
    expect(feed.stats.restBars).toBeGreaterThan(restAtStart); // gaps were filled over REST
    expectContiguous(bars, since);
    expect(bars.map(row)).toEqual(await venueBars(sim, since, bars.length));
    // Trades: the replay's ids are consecutive; every one once, in order, from the first seen.
    const ids = trades.map((t) => Number(t.tradeId));
    expect(ids.length).toBeGreaterThan(100);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
  });

  /** Drops every socket once (the fault on until a drop happened, then off). */
  async function dropOnce(): Promise<void> {
    const drops = sim.faults.stats.wsDrops;
    sim.faults.set({ wsDropEveryMs: 20 });
    await until(() => sim.faults.stats.wsDrops > drops, 5000, 'a drop');
    sim.faults.set({ wsDropEveryMs: null });
  }

  /**
   * Runs a trades feed on `exchange`: waits for trades over the WebSocket, drops the sockets
   * once, waits for `recovered`, then for trades well after it; answers the trade ids seen.
   */
  async function tradesAcrossADrop(
    exchange: Awaited<ReturnType<typeof simExchange>>,
    recovered: () => boolean,
  ): Promise<number[]> {
    const trades: TradeTick[] = [];
    const feed = new CcxtMarketData({
      exchange,
      symbol: SYMBOL,
      timeframe: '1m',
      since: sim.market.bar(45).openTime,
      mode: 'ws',
      onBars: () => {},
      onTrades: (t) => trades.push(...t),
      backoff: { initialMs: 20, maxMs: 50 },
    });
    await feed.start();
    await until(() => trades.length >= 5, 10_000, 'trades over the WebSocket');
    await dropOnce();
    await until(recovered, 10_000, 'the fill after the drop');
    const after = sim.market.revealedTrades;
    await until(
      () => trades.length > 0 && Number(trades.at(-1)!.tradeId) >= after + 20,
      10_000,
      'trades after',
    );
    await feed.stop();
    return trades.map((t) => Number(t.tradeId));
  }

  it('a socket dropped while the feed is busy (no watch pending) is noticed: no trade is lost', async () => {
    sim = await startSim({ preloadBars: 50, realtime: { speed: 600, stepMs: 10 } });
    const exchange = await simExchange(sim, { pro: true });
    // Hold the first REST trade fill until the socket has dropped again and trades went by:
    // nothing is watching then, so ccxt rejects nothing and reconnects silently on the next watch.
    const fetchTrades = exchange.fetchTrades.bind(exchange);
    let held = 0;
    exchange.fetchTrades = async (...args: Parameters<typeof fetchTrades>) => {
      const rows = await fetchTrades(...args);
      if (held++ === 0) {
        await dropOnce();
        const seen = sim.market.revealedTrades;
        await until(() => sim.market.revealedTrades >= seen + 8, 5000, 'trades while busy');
      }
      return rows;
    };
    const ids = await tradesAcrossADrop(exchange, () => held > 0);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
  });

  it('a trade gap fill that fails is tried again: trades come late, never skipped', async () => {
    sim = await startSim({ preloadBars: 50, realtime: { speed: 600, stepMs: 10 } });
    const exchange = await simExchange(sim, { pro: true });
    const fetchTrades = exchange.fetchTrades.bind(exchange);
    let failures = 0;
    exchange.fetchTrades = async (...args: Parameters<typeof fetchTrades>) => {
      if (failures < 3) {
        failures++;
        throw new NetworkError('venue unreachable');
      }
      return fetchTrades(...args);
    };
    const ids = await tradesAcrossADrop(exchange, () => failures === 3);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
  });

  it('polls REST when told to (or when the venue has no WebSocket)', async () => {
    sim = await startSim({ preloadBars: 50, realtime: { speed: 600, stepMs: 10 } });
    const since = sim.market.bar(45).openTime;
    const bars: Bar[] = [];
    const feed = new CcxtMarketData({
      exchange: await simExchange(sim, { pro: true }),
      symbol: SYMBOL,
      timeframe: '1m',
      since,
      mode: 'rest',
      pollMs: 100,
      onBars: (b) => bars.push(...b),
    });
    await feed.start();
    await until(() => bars.length >= 20, 10_000, 'polled bars');
    await feed.stop();
    expect(feed.stats).toMatchObject({ mode: 'rest', wsBars: 0 });
    expectContiguous(bars, since);
    expect(bars.map(row)).toEqual(await venueBars(sim, since, bars.length));
  });

  it('without `since`, starts after the latest closed bar', async () => {
    sim = await startSim({ preloadBars: 50 }); // manual time
    const bars: Bar[] = [];
    const feed = new CcxtMarketData({
      exchange: await simExchange(sim, { pro: true }),
      symbol: SYMBOL,
      timeframe: '1m',
      onBars: (b) => bars.push(...b),
    });
    await feed.start();
    expect(bars).toEqual([]);
    expect(feed.lastOpenTime).toBe(sim.market.bar(49).openTime);
    await until(() => sim.state.subscriptions().length > 0, 5000, 'subscribed');
    sim.advance(3);
    await until(() => bars.length >= 2, 5000, 'new bars');
    await feed.stop();
    expect(bars[0]!.openTime).toBe(sim.market.bar(50).openTime);
    expectContiguous(bars, sim.market.bar(50).openTime);
  });
});
