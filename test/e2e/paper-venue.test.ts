import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { OrderRepository } from '../../src/store/order-repository.js';
import type { BinanceSim } from '../../src/simulators/binance/server.js';
import { LIVE_ARGS, spawnLive, startLiveSim, until } from '../support/ccxt-sim.js';
import { runCli } from '../support/run-cli.js';
import { processSchema } from '../support/spawn-schema.js';
import { tempDir } from '../support/temp-dir.js';

describe('kairos paper on a venue’s live market data', () => {
  // Each run's store a Postgres schema (`processSchema`): the paper venue is the subject, not
  // the embedded store, and PGlite would run every commit of the run in the process.
  const tradeDb = processSchema('paper_venue');
  const banDb = processSchema('paper_ban');
  let sim: BinanceSim;
  beforeAll(async () => {
    sim = await startLiveSim();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('trades on the simulator’s live bars, fills in the paper venue, and sends nothing to the exchange', async () => {
    const home = tempDir('kairos-paper-venue-');
    const opLog = path.join(home, 'paper', 'paper', 'venue.json.log');
    const submits = () =>
      existsSync(opLog) ? (readFileSync(opLog, 'utf8').match(/"op":"submit"/g) ?? []).length : 0;
    // No keys at all: paper mode reads public market data only.
    const { child, output, exited } = spawnLive(
      sim,
      home,
      LIVE_ARGS,
      { ...tradeDb.env, EXCHANGE_API_KEY: undefined, EXCHANGE_SECRET: undefined },
      { command: 'paper' },
    );
    await until(() => /orders fill in the paper venue/.test(output()), 60_000, 'the node to start');
    await until(() => submits() >= 3, 90_000, 'three orders in the paper venue');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).not.toMatch(/RECONCILIATION_DRIFT|ORDER_OVERFILL|Error/);

    // Nothing reached the exchange: no order, no signed request, no key.
    expect(sim.state.orders()).toHaveLength(0);
    expect([...sim.state.requests.keys()].filter((k) => !k.startsWith('GET '))).toEqual([]);
    expect(sim.state.apiKeys.size).toBe(0);
    // The bars came from it.
    expect(sim.state.requests.get('GET /api/v3/klines')).toBeGreaterThan(0);

    // The orders filled in the paper venue at the simulator's prices, and the position is theirs.
    const store = await tradeDb.open();
    try {
      const fills = await new OrderRepository(store.db, 'paper').fills();
      expect(fills.length).toBeGreaterThanOrEqual(2);
      expect(
        fills.every((f) => f.venue === 'PAPER' && /^sma-cross-\d+$/.test(f.clientOrderId)),
      ).toBe(true);
      const prices = Array.from({ length: sim.market.revealedBars }, (_, i) =>
        sim.market.bar(i),
      ).flatMap((b) => [b.low, b.high]);
      const [lo, hi] = [Math.min(...prices), Math.max(...prices)];
      for (const f of fills) {
        expect(Number(f.price.toString())).toBeGreaterThanOrEqual(lo * 0.99);
        expect(Number(f.price.toString())).toBeLessThanOrEqual(hi * 1.01);
      }
      const net = fills.reduce(
        (q, f) => q + (f.side === 'BUY' ? 1 : -1) * Number(f.quantity.toString()),
        0,
      );
      const summary = /position ([^,\s]+)/.exec(output())?.[1];
      expect(Number(summary)).toBeCloseTo(net, 8);
    } finally {
      await store.close();
    }
  }, 180_000);

  it('started during the venue’s 418 ban, waits it out (--max-ban-wait) and starts, as kairos live', async () => {
    // The first request is answered 418, banned for 2 s.
    sim.faults.set({ rateLimit: { after: 0, tooMany: 0, banMs: 2_000 } });
    const home = tempDir('kairos-paper-ban-');
    const { child, output, exited } = spawnLive(
      sim,
      home,
      [...LIVE_ARGS, '--max-ban-wait', '30'],
      { ...banDb.env, EXCHANGE_API_KEY: undefined, EXCHANGE_SECRET: undefined },
      { command: 'paper' },
    );
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    try {
      // Until 2026-12-07 it exited 2 with the ban's error instead.
      await until(
        () => code !== undefined || /orders fill in the paper venue/.test(output()),
        60_000,
        'the node to start, or the process to end',
      );
      expect(code).toBeUndefined();
      expect(output()).toMatch(/banned until \d{4}-.*: waiting \d+ s before starting/);
    } finally {
      // The simulator is shared by the file's other cases: its fault never outlives this one.
      sim.faults.reset();
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 90_000);

  it('refuses instrument and replay flags with --exchange, naming the flag', () => {
    const base = ['paper', 'examples/strategies/sma-cross.ts', '--exchange', 'binance'];
    for (const [flag, value] of [
      ['--lot', '2'],
      ['--tick', '0.1'],
      ['--commission', '0'],
      ['--speed', '0'],
    ]) {
      const r = runCli([...base, '--symbol', 'BTC/USDT', flag!, value!]);
      expect([r.code, r.stderr]).toEqual([
        2,
        `kairos: ${flag}: not with --exchange (the venue sets it) [USAGE]\n`,
      ]);
    }
  });
});
