import barFlip from '../../fixtures/strategies/bar-flip.js';
import { defineStrategy } from '../../../src/trading/strategy/index.js';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { until } from '../../support/until.js';
import {
  nowSim,
  revealed,
  type NodeProbe,
  runLiveNode,
  storeVersusVenue,
  type LiveRun,
} from './live-node-harness.js';

/** Every bar: cancels its open orders, then rests a buy 5 % under the close. */
const restAndCancel = defineStrategy({
  name: 'rest-cancel',
  onBar(ctx, bar) {
    ctx.cancelAll();
    ctx.buy('0.01', { type: 'LIMIT', price: (bar.close * 0.95).toFixed(2) });
  },
});

/** Rests one buy 5 % under the first close, then nothing. */
const restOnce = defineStrategy({
  name: 'rest-once',
  init: () => ({ done: false as boolean }),
  onBar(ctx, bar) {
    if (ctx.state.done) return;
    ctx.state.done = true;
    ctx.buy('0.01', { type: 'LIMIT', price: (bar.close * 0.95).toFixed(2) });
  },
});

/** Buys at market on every bar. */
const buyEvery = defineStrategy({
  name: 'buy-every',
  onBar(ctx) {
    ctx.buy('0.01');
  },
});

const codes = (run: LiveRun) => run.alerts.map((a) => a.code);

/** The run ended without an error, and the store holds exactly what the venue holds. */
async function expectStoreEqualsVenue(sim: BinanceSim, run: LiveRun) {
  expect(run.error).toBeUndefined();
  const s = await storeVersusVenue(sim, run.orders);
  expect(s.fills).toEqual(s.venue);
  expect(s.open).toEqual(s.venueOpen);
  expect(Number(run.result!.position.toFixed())).toBe(s.venueBtc);
}

describe('kairos live (TradingNode + ccxt binance) survives its venue', () => {
  let sim: BinanceSim;
  let run: LiveRun | undefined;
  afterEach(async () => {
    await run?.store.drop();
    run = undefined;
    await sim.close();
  });

  it('waits out a 429 then a 418 on its reads: trading pauses with an alert, resumes, nothing is lost', async () => {
    const s = await nowSim();
    sim = s.sim;
    // Reads get a 429 (Retry-After 1 s), then the next read after it a 418 ban of 1 s; the
    // node reconciles at every bar, so it meets both, and trades on once they are over.
    // Each wait ends on the node's own record (its request gate), as in live-node-every-fault:
    // it has heard every 429/418 the venue sent and holds no ban from them (a ban lasts until
    // the later of the answer's Retry-After and its "banned until": the venue's is over too).
    const probe: NodeProbe = {};
    const heardAll = (atLeast: number) => () => {
      const { rateLimited, banned } = sim.faults.stats;
      const heard = probe.bansHeard!();
      return heard >= atLeast && heard === rateLimited + banned && !probe.bannedUntil!();
    };
    run = await runLiveNode(
      sim,
      revealed(sim, s.bars, 12, async (i) => {
        if (i === 3)
          sim.faults.set({ rateLimit: { after: 0, tooMany: 1, banMs: 1000, readsOnly: true } });
        // The 429 heard and waited out: the next read meets the 418.
        if (i === 6) await until(heardAll(1), 5000, 'the 429 to pass');
        // The 418 heard and its ban over.
        if (i === 9) {
          const after429 = sim.faults.stats.rateLimited;
          await until(heardAll(after429 + 1), 10_000, 'the ban to end');
        }
      }),
      { strategy: barFlip, params: { every: 1 }, reconcileIntervalMs: 60_000 },
      { probe },
    );
    await expectStoreEqualsVenue(sim, run);
    expect(sim.faults.stats.rateLimited).toBeGreaterThan(0);
    expect(sim.faults.stats.banned).toBeGreaterThan(0);
    expect(codes(run)).toEqual(expect.arrayContaining(['VENUE_RATE_LIMITED', 'VENUE_BANNED']));
    expect(codes(run)).toContain('TRADING_PAUSED');
    expect(codes(run)).toContain('TRADING_RESUMED');
    expect(run.result!.pausedBars).toBeGreaterThan(0);
    expect(run.result!.barsProcessed).toBeGreaterThan(0);
    expect(run.result!.drift).toBe(0);
  }, 30_000);

  it('starts during a ban: waits it out when told to, else fails with the ban and its end', async () => {
    const s = await nowSim();
    sim = s.sim;
    sim.faults.set({ rateLimit: { after: 0, tooMany: 0, banMs: 60_000, readsOnly: true } });
    run = await runLiveNode(sim, revealed(sim, s.bars, 2), { strategy: barFlip });
    expect(run.error).toMatchObject({ code: 'VENUE_BANNED' });
    expect((run.error as Error).message).toMatch(/banned until \d{4}-\d\d-\d\dT/);
    expect((run.error as { untilMs: number }).untilMs).toBeGreaterThan(Date.now() + 50_000);
    await run.store.drop();

    sim.faults.set({ rateLimit: { after: 0, tooMany: 1, banMs: 500, readsOnly: true } });
    const waits: number[] = [];
    run = await runLiveNode(sim, revealed(sim, s.bars, 4), {
      strategy: barFlip,
      params: { every: 1 },
      waitForVenue: async (e) => {
        waits.push(e.untilMs);
        await until(() => Date.now() >= e.untilMs, 5000, 'the ban to end');
        return true;
      },
    });
    expect(waits.length).toBeGreaterThan(0);
    await expectStoreEqualsVenue(sim, run);
    expect(run.result!.barsProcessed).toBe(4);
  }, 30_000);

  it('cancels an order whose answer and reports were both lost: queued until its outcome is known', async () => {
    const s = await nowSim();
    sim = s.sim;
    sim.faults.set({ dropOrderResponses: 1, loseOrderReports: 1 });
    run = await runLiveNode(sim, revealed(sim, s.bars, 5), {
      strategy: restAndCancel,
      onStop: 'cancel',
      inflightCheckMs: 1,
    });
    expect(codes(run)).not.toContain('ORDER_ILLEGAL_TRANSITION');
    expect(run.result!.failure).toBeNull();
    await expectStoreEqualsVenue(sim, run);
    // The lost order was cancelled at the venue, by the queued cancel or the stop.
    const first = sim.state.orders()[0]!;
    expect(first.status).toBe('CANCELED');
    expect((await run.orders.order(first.clientOrderId))!.status).toBe('CANCELED');
    expect(sim.state.openOrders()).toHaveLength(0);
  }, 30_000);

  it('a strategy that throws ends the run as a failure: nothing sent after it, the store still equals the venue', async () => {
    const s = await nowSim();
    sim = s.sim;
    const thrower = defineStrategy({
      name: 'thrower',
      init: () => ({ n: 0 }),
      onBar(ctx) {
        if (++ctx.state.n === 3) throw new Error('boom');
        ctx.buy('0.01');
      },
    });
    run = await runLiveNode(sim, revealed(sim, s.bars, 6), { strategy: thrower });
    expect(run.error).toBeUndefined();
    expect(run.result!.failure).toMatchObject({ code: 'STRATEGY_FAILED' });
    expect(run.result!.failure!.message).toMatch(/boom/);
    expect(codes(run)).toContain('STRATEGY_FAILED');
    expect(sim.state.orders()).toHaveLength(2);
    await expectStoreEqualsVenue(sim, run);
  }, 30_000);

  it.each(['cancel', 'leave'] as const)(
    '--on-stop %s: resting orders are cancelled or left working, and the store says the same',
    async (onStop) => {
      const s = await nowSim();
      sim = s.sim;
      run = await runLiveNode(sim, revealed(sim, s.bars, 3), { strategy: restOnce, onStop });
      await expectStoreEqualsVenue(sim, run);
      expect(run.result!.onStop).toBe(onStop);
      expect(sim.state.openOrders()).toHaveLength(onStop === 'cancel' ? 0 : 1);
      expect(run.result!.openOrders).toBe(onStop === 'cancel' ? 0 : 1);
    },
    30_000,
  );

  it('stores the fills whose reports arrive during the stop (reports held back 300 ms)', async () => {
    const s = await nowSim();
    sim = s.sim;
    sim.faults.set({ delayReportsMs: 300 });
    run = await runLiveNode(sim, revealed(sim, s.bars, 3), { strategy: buyEvery });
    const stoppedAt = Date.now();
    // The held reports reach a node that has stopped: nothing may fail or go missing.
    await until(() => Date.now() > stoppedAt + 400, 2000, 'the held reports');
    expect(codes(run)).not.toContain('PERSISTENCE_FAILED');
    await expectStoreEqualsVenue(sim, run);
    expect(sim.state.trades()).toHaveLength(3);
  }, 30_000);

  it('finds trades stamped ahead of its clock (a venue clock 10 min ahead), by trade id', async () => {
    const s = await nowSim();
    sim = s.sim;
    // Every answer and report lost: only reconciliation's trade history can find the fills.
    sim.faults.set({
      tradeClockAheadMs: 600_000,
      dropOrderResponseRate: 1,
      loseOrderReports: 100,
    });
    run = await runLiveNode(sim, revealed(sim, s.bars, 4), {
      strategy: buyEvery,
      inflightCheckMs: 1,
    });
    expect(codes(run)).not.toContain('RECONCILIATION_DRIFT');
    expect(run.result!.drift).toBe(0);
    expect(sim.state.trades().length).toBeGreaterThanOrEqual(3);
    await expectStoreEqualsVenue(sim, run);
  }, 30_000);
});
