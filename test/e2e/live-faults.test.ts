import { OrderRepository } from '../../src/store/order-repository.js';
import type { BinanceSim } from '../../src/simulators/binance/server.js';
import { spawnLive, startLiveSim, until } from '../support/ccxt-sim.js';
import { processSchema } from '../support/spawn-schema.js';
import { tempDir } from '../support/temp-dir.js';

const ARGS = ['--symbol', 'BTC/USDT', '--params', 'size=0.01,every=1', '--cash', '1000000'];
const STRATEGY = { strategy: 'test/fixtures/strategies/bar-flip.ts' };

/**
 * `kairos live` as a process under the simulator's rate-limit faults: a 429 then a 418 on its
 * reads while it trades is waited out (paused, resumed, the summary printed, exit 0); a start
 * during a long ban ends with one line saying until when.
 */
describe('kairos live under 429/418', () => {
  // Each run's store a Postgres schema (`processSchema`): the venue's limits are the subject,
  // not the embedded store, and PGlite would run every commit of the run in the process.
  const db = processSchema('live_faults');
  const banDb = processSchema('live_ban');
  let sim: BinanceSim;
  beforeAll(async () => {
    sim = await startLiveSim({ realtime: { speed: 120 } }); // a bar every 0.5 s
  });
  afterAll(async () => {
    await sim.close();
  });

  it('pauses on a 429 and a 418 of its reads, resumes, and stops with the store equal to the venue', async () => {
    const home = tempDir('kairos-live-faults-');
    const { child, output, exited } = spawnLive(
      sim,
      home,
      [...ARGS, '--warmup', '5'],
      db.env,
      STRATEGY,
    );
    await until(() => /^bar /m.test(output()), 60_000, 'the first traded bar');
    sim.faults.set({ rateLimit: { after: 0, tooMany: 1, banMs: 1000, readsOnly: true } });
    await until(() => /TRADING_RESUMED/.test(output()), 20_000, 'trading to resume');
    const ordersBefore = sim.state.orders().length;
    await until(() => sim.state.orders().length > ordersBefore, 10_000, 'an order after it');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const out = output();
    expect(out).toMatch(/alert VENUE_RATE_LIMITED/);
    expect(out).toMatch(/alert TRADING_PAUSED/);
    expect(out).toMatch(/stopped: \d+ bars traded.*on stop: cancel/);
    expect(out).not.toMatch(/DDoSProtection|PERSISTENCE_FAILED|RECONCILIATION_DRIFT|\n\s+at /);
    const store = await db.open();
    try {
      const stored = (await new OrderRepository(store.db, 'binance').fills())
        .map((f) => `${f.tradeId} ${f.quantity.toFixed()}`)
        .sort();
      const venue = sim.state
        .trades()
        .map((t) => `${t.id} ${t.qty.toFixed()}`)
        .sort();
      expect(stored).toEqual(venue);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('started during a long ban, says until when on one line and exits 2', async () => {
    sim.faults.set({ rateLimit: { after: 0, tooMany: 0, banMs: 600_000, readsOnly: true } });
    const home = tempDir('kairos-live-ban-');
    const { output, exited } = spawnLive(
      sim,
      home,
      [...ARGS, '--warmup', '5', '--max-ban-wait', '0'],
      banDb.env,
      STRATEGY,
    );
    expect(await exited).toBe(2);
    const lines = output().trim().split('\n');
    const last = lines.at(-1)!;
    expect(last).toMatch(/^kairos: binance: IP banned until \d{4}-.*start again after \d{4}-/);
    expect(output()).not.toMatch(/DDoSProtection|\n\s+at /);
    // On Postgres: no word about the embedded store.
    expect(output()).not.toMatch(/embedded store/);
    sim.faults.reset();
  }, 60_000);
});
