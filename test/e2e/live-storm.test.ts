import { OrderRepository } from '../../src/store/order-repository.js';
import type { BinanceSim } from '../../src/simulators/binance/server.js';
import { MINUTE, spawnLive, startLiveSim, until } from '../support/ccxt-sim.js';
import { processSchema } from '../support/spawn-schema.js';
import { tempDir } from '../support/temp-dir.js';

/** 60 bars of storm at eight bars a second. */
const STORM_MS = 7_500;

/**
 * T11 compressed: `kairos live` trades while the simulator drops every WebSocket after a
 * random (seeded) 1–3 bars, again and again, for 60 bars (7.5 s at eight bars a second).
 * Nothing may be missed: every venue trade of our orders stored exactly once, the position equal
 * to the venue's, and the bars the strategy saw contiguous and equal to the venue's klines.
 */
describe('kairos live through a WebSocket disconnect storm (T11)', () => {
  // The run's store a Postgres schema (`processSchema`): the storm is the subject, not the
  // embedded store, and PGlite would run every commit of the run in the process.
  const db = processSchema('live_storm');
  let sim: BinanceSim;
  beforeAll(async () => {
    // Eight bars a second: about 60 bars and 30 orders during the storm.
    sim = await startLiveSim({ realtime: { speed: 480 }, seed: 11 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('misses no fill and no bar while every WebSocket drops every 1–3 bars for 60 bars', async () => {
    const home = tempDir('kairos-live-storm-');
    const { child, output, exited } = spawnLive(
      sim,
      home,
      [
        '--symbol',
        'BTC/USDT',
        '--params',
        'size=0.01,every=2',
        '--cash',
        '1000000',
        '--warmup',
        '20',
      ],
      db.env,
      { strategy: 'test/fixtures/strategies/bar-flip.ts' },
    );
    await until(() => /trading from/.test(output()), 90_000, 'the node to start');
    await until(() => /^bar /m.test(output()), 30_000, 'the first traded bar');
    // Every 1–3 bars (125 ms each).
    sim.faults.set({ wsDropRandomMs: { min: 125, max: 375 } });
    const stormStart = Date.now();
    const dropsBefore = sim.faults.stats.wsDrops;
    await until(() => Date.now() - stormStart >= STORM_MS, STORM_MS + 5_000, 'the storm');
    sim.faults.set({ wsDropRandomMs: null });
    const drops = sim.faults.stats.wsDrops - dropsBefore;
    // The node catches up: the bar that closed last at the venue is traded, no order is open.
    const lastClosed = Math.floor(sim.market.now() / MINUTE) * MINUTE - MINUTE;
    await until(
      () => output().includes(`bar ${lastClosed} `),
      60_000,
      'the last closed bar to be traded',
    );
    await until(() => sim.state.openOrders().length === 0, 30_000, 'no open order at the venue');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const out = output();
    expect(out).not.toMatch(/RECONCILIATION_DRIFT|ORDER_OVERFILL|Error/);
    // The storm happened: 20–60 drop rounds in 7.5 s, each closing the node's sockets.
    expect(drops).toBeGreaterThanOrEqual(20);
    // ... which the node felt on its candle stream and on its order/fill stream.
    expect((out.match(/candles stream failed/g) ?? []).length).toBeGreaterThanOrEqual(10);
    expect((out.match(/^binance: stream failed/gm) ?? []).length).toBeGreaterThanOrEqual(10);

    // Bars: contiguous, each once, and equal to the venue's klines.
    const bars = [...out.matchAll(/^bar (\d+) (\S+) (\S+) (\S+) (\S+) (\S+)$/gm)].map((m) =>
      m.slice(1).map(Number),
    );
    expect(bars.length).toBeGreaterThanOrEqual(60);
    const times = bars.map((b) => b[0]!);
    expect(times).toEqual(times.map((_, i) => times[0]! + i * MINUTE));
    // The venue's klines from its REST API as ccxt's fetchOHLCV reads them (time, OHLC, volume),
    // without loading ccxt into this process for one request.
    const klines = (await (
      await fetch(
        `${sim.url}/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${times[0]}&limit=${bars.length}`,
      )
    ).json()) as unknown[][];
    expect(bars).toEqual(klines.map((k) => k.slice(0, 6).map(Number)));

    // Fills: every venue trade of our orders stored exactly once, with its price and quantity.
    const store = await db.open();
    try {
      const fills = await new OrderRepository(store.db, 'binance').fills();
      const stored = fills
        .map((f) => `${f.tradeId} ${f.clientOrderId} ${f.price.toFixed()} ${f.quantity.toFixed()}`)
        .sort();
      const venue = sim.state
        .trades()
        .filter((t) => t.clientOrderId.startsWith('bar-flip-'))
        .map((t) => `${t.id} ${t.clientOrderId} ${t.price.toFixed()} ${t.qty.toFixed()}`)
        .sort();
      expect(venue.length).toBeGreaterThanOrEqual(20);
      expect(stored).toEqual(venue);
    } finally {
      await store.close();
    }
    // Position: the node's equals the venue's BTC balance, to the last decimal.
    const position = /position ([^,\s]+)/.exec(out)?.[1];
    const btc = sim.state.balances().find((b) => b.asset === 'BTC')!;
    expect(Number(position)).toBe(Number(btc.free) + Number(btc.locked));
  }, 300_000);
});
