/**
 * `kairos paper --exchange` killed between an order's commit and its send (KAIROS_FAILPOINT), and
 * restarted before the venue closed another bar: the bar it died in is played again, as
 * `kairos live` does (docs/paper.md, point 5), so the order goes out then and fills in the paper
 * venue, instead of being closed `REJECTED NOT_AT_VENUE`.
 */
import pg from 'pg';
import { start, type BinanceSim } from '../../src/simulators/binance/server.js';
import type { Bar } from '../../src/trading/data/market-data.js';
import { MINUTE, manualMarket, spawnLive, syntheticBars } from '../support/ccxt-sim.js';
import { TEST_DATABASE_URL } from '../support/postgres.js';
import { tempDir } from '../support/temp-dir.js';
import { until } from '../support/until.js';

const PAST = 5;
const ARGS = '--symbol BTC/USDT --params size=0.01,every=1 --cash 1000000 --warmup 100'.split(' ');

describe('kairos paper --exchange restarted in the bar it died in', () => {
  let sim: BinanceSim;
  let db: pg.Client;
  const schema = `kairos_paper_restart_${process.pid}`;
  /** The nodes started: one still running at the end (a failed test) is killed. */
  const nodes: ReturnType<typeof spawnLive>[] = [];
  afterAll(async () => {
    for (const n of nodes)
      if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
    await db.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    await db.end();
    await sim.close();
  });

  it('plays that bar again: the order committed and never sent goes out and fills, no REPLAY_MISMATCH', async () => {
    // PAST bars before now (warm-up), the rest an hour ahead: traded whatever the wall clock says.
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    const bars: Bar[] = syntheticBars(PAST + 5, 11, now - PAST * MINUTE).map((b, i) =>
      i < PAST
        ? b
        : { ...b, openTime: b.openTime + 60 * MINUTE, closeTime: b.closeTime + 60 * MINUTE },
    );
    sim = await start(manualMarket(bars, PAST));
    db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    await db.query(`drop schema if exists ${schema} cascade`);
    const rows = async <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => {
      try {
        return (await db.query<T>(sql)).rows;
      } catch {
        return []; // not migrated yet
      }
    };
    const snapshotTs = async () =>
      Number(
        (
          await rows<{ ts: string | null }>(
            `select max(ts) as ts from ${schema}.strategy_snapshots`,
          )
        )[0]?.ts ?? -Infinity,
      );
    const orders = async () =>
      (
        await rows<{ client_order_id: string; status: string }>(
          `select client_order_id, status from ${schema}.orders order by client_order_id`,
        )
      ).map((o) => `${o.client_order_id} ${o.status}`);
    const home = tempDir('kairos-paper-restart-');
    const spawn = (failpoint?: string) => {
      const node = spawnLive(
        sim,
        home,
        ARGS,
        {
          EXCHANGE_API_KEY: undefined,
          EXCHANGE_SECRET: undefined,
          DATABASE_URL: TEST_DATABASE_URL,
          DATABASE_SCHEMA: schema,
          ...(failpoint ? { KAIROS_FAILPOINT: failpoint } : {}),
        },
        { command: 'paper', strategy: 'test/fixtures/strategies/bar-flip.ts' },
      );
      nodes.push(node);
      return node;
    };
    // The start line comes before the candle stream is subscribed: the market moves only once it
    // is (the simulator's manual market sends nothing after, so an earlier step would be lost).
    const klines = () => sim.state.subscriptions().some((s) => s.includes('@kline'));
    const started = async (output: () => string) => {
      await until(
        () => /orders fill in the paper venue/.test(output()),
        60_000,
        'the node to start',
      );
      await until(klines, 30_000, 'the candle stream subscribed');
    };

    // Bar 1 buys (filled at bar 2's open); bar 2 sells: killed once that sell is committed.
    const first = spawn('after-commit:2');
    await started(first.output);
    for (const i of [PAST, PAST + 1]) {
      sim.market.step(); // bar i opens (bar i − 1 closes)
      if (i > PAST)
        await until(async () => (await snapshotTs()) >= bars[i - 1]!.closeTime, 30_000, 'bar 1');
      sim.advance(1);
    }
    sim.market.step(); // bar 2 closes: the node trades it and dies
    expect(await first.exited).toBeNull(); // SIGKILL
    // Committed (past the gate), never sent.
    expect(await orders()).toEqual(['bar-flip-1 FILLED', 'bar-flip-2 SUBMITTED']);

    await until(() => !klines(), 30_000, "the killed node's stream closed");
    // Back before bar 3 closed: bar 2 is the venue's latest closed bar, and is played again.
    const second = spawn();
    await started(second.output);
    await until(
      async () => (await snapshotTs()) >= bars[PAST + 1]!.closeTime,
      30_000,
      'bar 2 played again',
    );
    sim.advance(1);
    sim.market.step(); // bar 3 closes: the sell fills at its open
    await until(
      async () => (await snapshotTs()) >= bars[PAST + 2]!.closeTime,
      30_000,
      'bar 3 handled',
    );
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).not.toMatch(/REPLAY_MISMATCH|NOT_AT_VENUE|RECONCILIATION_DRIFT/);
    const got = await orders();
    expect(got.slice(0, 2)).toEqual(['bar-flip-1 FILLED', 'bar-flip-2 FILLED']);
    // Flat again after the sell: bar 3 bought under the next id.
    expect(got[2]).toMatch(/^bar-flip-3 /);
    expect(/position ([^,\s]+)/.exec(second.output())?.[1]).toBeDefined();
  }, 120_000);
});
