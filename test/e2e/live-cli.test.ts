import { connectRedis } from '../../src/scalability/connections.js';
import type { BinanceSim } from '../../src/simulators/binance/server.js';
import { LIVE_ARGS, spawnLive, startLiveSim, until } from '../support/ccxt-sim.js';
import { tempDir } from '../support/temp-dir.js';

describe('kairos live against the Binance simulator', () => {
  let sim: BinanceSim;
  beforeAll(async () => {
    sim = await startLiveSim();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('trades a strategy on the live feed with ccxt, every order once by client id, and stops cleanly', async () => {
    const home = tempDir('kairos-live-');
    const redis = await connectRedis('redis://127.0.0.1:6379');
    const budgetKeys = () => redis.keys('kairos:rl:*binance*');
    for (const k of await budgetKeys()) await redis.del(k);
    // The request budget in Redis, as several live processes share it.
    const { child, output, exited } = spawnLive(sim, home, LIVE_ARGS, {
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    await until(() => /trading from/.test(output()), 60_000, 'the node to start');
    // Crosses come every few bars: wait for a round trip or two at the venue.
    await until(() => sim.state.orders().length >= 4, 60_000, 'four orders at the venue');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).not.toMatch(/RECONCILIATION_DRIFT|ORDER_OVERFILL|Error/);
    // Real money on the embedded store: the node says what it does not survive (docs/store.md).
    expect(output()).toMatch(/"level":"warn","message":"the embedded store \(PGlite\) survives/);
    const orders = sim.state.orders();
    const ids = orders.map((o) => o.clientOrderId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^sma-cross-\d+$/.test(id))).toBe(true);
    // The node's final position is the venue's BTC balance, to the last decimal.
    const summary = /position ([^,\s]+)/.exec(output())?.[1];
    const btc = sim.state.balances().find((b) => b.asset === 'BTC')!;
    expect(Number(summary)).toBe(Number(btc.free) + Number(btc.locked));
    // Its requests were counted in the shared budget in Redis.
    expect((await budgetKeys()).length).toBeGreaterThan(0);
    redis.disconnect();
  }, 120_000);
});
