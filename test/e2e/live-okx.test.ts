import type { OkxSim } from '../../src/simulators/okx/server.js';
import { venueClientIds } from '../../src/trading/venues/ccxt/venue-client-ids.js';
import { LIVE_ARGS, spawnLive, until } from '../support/ccxt-sim.js';
import { startOkxSim } from '../support/okx-sim.js';
import { processSchema } from '../support/spawn-schema.js';
import { tempDir } from '../support/temp-dir.js';

describe('kairos live against the OKX simulator', () => {
  // The run's store a Postgres schema (`processSchema`): the venue is the subject, not the
  // embedded store (`live-cli` runs the Binance one on the embedded default).
  const db = processSchema('live_okx');
  let sim: OkxSim;
  afterAll(async () => {
    await sim.close();
  });

  it('trades sma-cross over REST (OKX has no WebSocket here): every order once, the position equal to the venue', async () => {
    // As `startLiveSim`: 600x real time, a 0.00001 lot, no BTC at the start.
    sim = await startOkxSim({
      realtime: { speed: 600 },
      filters: { tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001', minNotional: '10' },
      balances: { BTC: '0', USDT: '1000000' },
      preloadBars: 100,
      rateLimitScale: 0,
    });
    const home = tempDir('kairos-live-okx-');
    const { child, output, exited } = spawnLive(
      { url: sim.url, apiKey: sim.key.apiKey, secret: sim.key.secret },
      home,
      LIVE_ARGS,
      { ...db.env, EXCHANGE_PASSWORD: sim.key.passphrase },
      { exchange: 'okx' },
    );
    let code: number | null;
    try {
      await until(() => /trading from/.test(output()), 60_000, 'the node to start');
      await until(() => sim.state.orders().length >= 4, 60_000, 'four orders at the venue');
    } finally {
      child.kill('SIGTERM');
      code = await exited;
    }
    expect(code).toBe(0);
    expect(output()).not.toMatch(/RECONCILIATION_DRIFT|ORDER_OVERFILL|Error/);
    const ids = sim.state.orders().map((o) => o.clientOrderId);
    expect(new Set(ids).size).toBe(ids.length);
    const okx = venueClientIds('okx');
    expect(ids.every((id) => /^sma-cross-\d+$/.test(okx.fromVenue(id)!))).toBe(true);
    const summary = /position ([^,\s]+)/.exec(output())?.[1];
    const btc = sim.state.balances().find((b) => b.asset === 'BTC')!;
    expect(Number(summary)).toBe(Number(btc.free) + Number(btc.locked));
  }, 120_000);
});
