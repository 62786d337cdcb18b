/**
 * Backtest-versus-live parity: the same strategy on the same recorded bars makes the same orders
 * in a backtest and through the live path (`kairos live` → ccxt → the Binance simulator).
 *
 * The data is a real slice of freqtrade's UNITTEST/BTC 1m candles (gaps included). Both paths get
 * the same bars; only their times are moved: the first `slow − 1` bars end before the node
 * starts, so they are its warm-up (indicators only), the rest an hour ahead, so the node trades
 * each of them. Warm-up feeds the indicators but not `onBar`; a backtest runs `onBar` on every
 * bar. The two agree because sma-cross can neither act nor remember a sign before its slow
 * average has `slow` bars: warming more bars than that would let the backtest see a cross the
 * live node cannot.
 *
 * The venue runs in manual time. A revealed bar is still forming for the node until the next
 * one trades, so the test reveals each bar's first trade (its open), waits until the node has
 * handled the bar before it (it reconciles after every bar, which ends with one
 * `GET openOrders`), then reveals the rest of the bar. An order made at a bar's close thus
 * reaches the venue when the next bar's open is its last trade: the price the backtest fills it
 * at.
 *
 * The venue and the backtest's simulated exchange decide fills with the same matching engine
 * (`trading/execution/matching`), here with the same switch: a buy's commission in the quote
 * (`buyFeeIn: 'quote'`). So orders and fills are compared as equal, one by one: the client order
 * id, the side, the bar it was made at (its creation time is that bar's close in both), the
 * quantity; each fill's price, quantity and liquidity, and its fee to the venue's commission
 * precision (Binance rounds a commission to 8 decimals; the backtest keeps it exact).
 */
import path from 'node:path';
import { BacktestEngine } from '../../src/trading/backtest/backtest-engine.js';
import { Dec, toDecimal } from '../../src/trading/core/decimal.js';
import type { Bar } from '../../src/trading/data/market-data.js';
import { makeInstrument } from '../../src/trading/model/instrument.js';
import type { Fill } from '../../src/trading/model/fill.js';
import type { Order } from '../../src/trading/model/order.js';
import { OrderRepository } from '../../src/store/order-repository.js';
import { loadBars } from '../../src/simulators/binance/load-bars.js';
import { start, type BinanceSim } from '../../src/simulators/binance/server.js';
import smaCross from '../../examples/strategies/sma-cross.js';
import { MINUTE, spawnLive, until } from '../support/ccxt-sim.js';
import { DATA } from '../support/run-cli.js';
import { processSchema } from '../support/spawn-schema.js';
import { tempDir } from '../support/temp-dir.js';

const SYMBOL = 'UNITTEST/BTC';
/** 150 bars from the 3,200th: an active stretch (about 30 orders) with a dozen gaps in it. */
const FIRST = 3200;
const BARS = 150;
/** Short averages (as test/e2e/live-cli.test.ts), so the run is short. */
const PARAMS = { fast: 3, slow: 8, size: '100' };
/** Warm-up bars: fewer than `slow`, so the strategy could not have acted on them. */
const WARM = PARAMS.slow - 1;
const FEE = '0.001';
const FILTERS = { stepSize: '0.1', minQty: '0.1', minNotional: '0.0001' };

describe('backtest-versus-live parity (sma-cross on recorded bars)', () => {
  // The live run's store a Postgres schema (`processSchema`): the parity is the subject, not
  // the embedded store, and PGlite would run every commit of the run in the process.
  const db = processSchema('live_parity');
  let sim: BinanceSim | undefined;
  afterAll(async () => {
    await sim?.close();
  });

  it('makes the same orders in a backtest and through kairos live on the simulator', async () => {
    const loaded = await loadBars(path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json'), SYMBOL);
    const slice = loaded.bars.slice(FIRST, FIRST + BARS);
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    const moved = (b: Bar, shift: number): Bar => ({
      ...b,
      openTime: b.openTime + shift,
      closeTime: b.closeTime + shift,
    });
    const pastShift = now - slice[WARM - 1]!.closeTime;
    const futureShift = now + 60 * MINUTE - slice[WARM]!.openTime;
    const bars = slice.map((b, i) => moved(b, i < WARM ? pastShift : futureShift));
    sim = await start({
      port: 0,
      data: bars,
      symbol: SYMBOL,
      filters: { tickSize: loaded.tick, ...FILTERS },
      makerFee: FEE,
      takerFee: FEE,
      balances: { UNITTEST: '0', BTC: '10' },
      buyFeeIn: 'quote',
      preloadBars: WARM,
      // The test reveals a bar as soon as the last is handled (a reconciliation each): a weight
      // allowance to match, so the node's 80 % budget does not pace the test.
      weightPerMinute: 100_000,
    });
    const venue = sim;

    // ---- live: kairos live against the venue, one bar at a time ----
    const home = tempDir('kairos-parity-');
    const { child, output, exited } = spawnLive(
      venue,
      home,
      [
        '--symbol',
        SYMBOL,
        '--params',
        Object.entries(PARAMS)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
        '--cash',
        '10',
        '--warmup',
        String(Math.ceil((now - bars[0]!.openTime) / MINUTE) + 5),
      ],
      db.env,
    );
    const wait = async (cond: () => boolean, ms: number, what: string) => {
      try {
        await until(cond, ms, what);
      } catch (e) {
        throw new Error(`${(e as Error).message}; the node said:\n${output().slice(-3000)}`, {
          cause: e,
        });
      }
    };
    try {
      // One reconciliation at start-up (after the warm-up), then one after every traded bar.
      const reconciled = () => venue.state.requests.get('GET /api/v3/openOrders') ?? 0;
      await wait(
        () => reconciled() >= 1 && venue.state.subscriptions().some((s) => s.includes('@kline')),
        60_000,
        'the node to start',
      );
      // Once the n-th traded bar's open trades, the n − 1 before it have been handled.
      for (let n = 1; n <= BARS - WARM; n++) {
        venue.market.step();
        await wait(() => reconciled() >= n, 10_000, `traded bar ${n - 1} handled`);
        venue.advance(1);
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output()).not.toMatch(/RECONCILIATION_DRIFT|ORDER_OVERFILL|Error/);
    expect(output()).toMatch(new RegExp(`stopped: ${BARS - WARM - 1} bars traded`));

    const store = await db.open();
    let liveOrders: Order[];
    let liveFills: Fill[];
    try {
      const repo = new OrderRepository(store.db, 'binance');
      liveOrders = await repo.ordersSince(0);
      liveFills = await repo.fills();
    } finally {
      await store.close();
    }

    // ---- backtest: the bars the node saw (the last one revealed was still forming) ----
    const instrument = makeInstrument({
      id: SYMBOL,
      base: 'UNITTEST',
      quote: 'BTC',
      tickSize: loaded.tick,
      lotSize: FILTERS.stepSize,
      minQuantity: FILTERS.minQty,
      minNotional: FILTERS.minNotional,
      makerFee: FEE,
      takerFee: FEE,
    });
    const run = await new BacktestEngine({
      instrument,
      strategy: smaCross,
      params: PARAMS,
      cash: '10',
    }).runBars(
      (async function* () {
        yield bars.slice(0, BARS - 1);
      })(),
    );

    // ---- the same orders ----
    const barAt = new Map(bars.map((b, i) => [b.closeTime, i]));
    const view = (o: Order) => ({
      id: o.clientOrderId,
      bar: barAt.get(o.createdAt),
      side: o.side,
      quantity: o.quantity.toFixed(),
    });
    const expected = run.orders.map(view);
    expect(expected.length).toBeGreaterThanOrEqual(10);
    expect(expected.every((o) => o.bar !== undefined)).toBe(true);
    expect(liveOrders.map(view)).toEqual(expected);
    // Every order reached the venue once, as the node made it, and filled there.
    expect(
      venue.state.orders().map((o) => [o.clientOrderId, o.side, o.origQty.toFixed(), o.status]),
    ).toEqual(liveOrders.map((o) => [o.clientOrderId, o.side, o.quantity.toFixed(), 'FILLED']));
    // The venue holds what the node's ledger says.
    const held = venue.state.balances().find((b) => b.asset === 'UNITTEST')!;
    const summary = /position ([^,\s]+)/.exec(output())?.[1];
    expect(toDecimal(summary!).eq(Dec(held.free).plus(held.locked))).toBe(true);

    // ---- the same fills: at the next bar's open, in both ----
    const fillView = (f: Fill) => ({
      id: f.clientOrderId,
      side: f.side,
      price: f.price.toFixed(),
      quantity: f.quantity.toFixed(),
      liquidity: f.liquidity,
      fee: `${f.fee.amount.round(8, Dec.roundHalfUp).toFixed()} ${f.fee.currency}`,
    });
    expect(run.fills.length).toBeGreaterThanOrEqual(expected.length - 1);
    expect(liveFills.slice(0, run.fills.length).map(fillView)).toEqual(run.fills.map(fillView));
    // An order made at the last bar the backtest has fills only live, at a bar the backtest lacks.
    expect(liveFills.length - run.fills.length).toBe(run.orders.length - run.fills.length);
    const madeAt = new Map(run.orders.map((o) => [o.clientOrderId, barAt.get(o.createdAt)!]));
    for (const f of run.fills) {
      const next = bars[madeAt.get(f.clientOrderId)! + 1]!;
      expect(f.price.eq(toDecimal(next.open))).toBe(true);
    }
  }, 90_000);
});
