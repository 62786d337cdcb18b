import { Topics } from '../bus/topics.js';
import { SimClock } from '../clock/sim-clock.js';
import { toDecimal, type Decimal, type DecimalInput } from '../core/decimal.js';
import { KairosError } from '../core/errors.js';
import {
  barsFromColumns,
  rowsInRange,
  type BarColumns,
  type BarColumnsRange,
} from '../data/bar-columns.js';
import type { Bar, TradeTick } from '../data/market-data.js';
import type { Alert } from '../model/alert.js';
import type { Fill } from '../model/fill.js';
import type { BuyFeeIn } from '../execution/matching/matching-engine.js';
import { Kernel } from '../kernel/kernel.js';
import type { Instrument } from '../model/instrument.js';
import type { Order } from '../model/order.js';
import type { OrderEvent } from '../model/order-events.js';
import type { ClosedRoundTrip } from '../portfolio/round-trip-tracker.js';
import type { StrategyDefinition } from '../strategy/define-strategy.js';
import { resolveParams } from '../strategy/params.js';
import { InProcessSeam } from '../strategy/in-process-seam.js';
import type { JsonObject } from '../strategy/strategy-context.js';
import type { SeamHost, StrategySeam } from '../strategy/strategy-seam.js';
import { StrategyError } from '../strategy/strategy-error.js';
import { EquityRecorder } from './equity-recorder.js';
import { SimulatedExchange } from './simulated-exchange.js';

/** Everything a backtest needs besides its data. */
export interface BacktestConfig {
  readonly instrument: Instrument;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly strategy: StrategyDefinition<any, any, any>;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly strategyId?: string;
  /** The simulated account the run trades (default `backtest`). */
  readonly accountId?: string;
  readonly cash: DecimalInput;
  readonly slippageBps?: number;
  readonly latencyMs?: number;
  readonly maxVolumeFraction?: number;
  readonly seed?: number;
  readonly allowShort?: boolean;
  /** Which asset pays a buy's fee: the quote (default) or the base received, as Binance charges. */
  readonly buyFeeIn?: BuyFeeIn;
  /** A hint of how many bars the run has (sizes the equity arrays once). */
  readonly expectedBars?: number;
  /**
   * How long after it closed the strategy still reads an order (`ctx.order`), in ms of the
   * simulated clock: set it as the paper or live node's `closedOrderRetentionMs` (default 10
   * minutes, the same) so the strategy decides the same here. The report still lists every order.
   */
  readonly closedOrderRetentionMs?: number;
  /**
   * How the backtest talks to its strategy (default: an `InProcessSeam`, the fast path). A
   * seam whose calls answer later (a Lambda function) is awaited after each bar or trade, and
   * the order events it has not seen yet are handed over before the next one.
   */
  readonly strategySeam?: (host: SeamHost) => StrategySeam;
}

/** A log line written by the strategy. */
export interface LogLine {
  readonly ts: number;
  readonly message: string;
}

/** What a run produced; `buildReport` turns it into the report. */
export interface BacktestRun {
  readonly params: Readonly<Record<string, number | string | boolean>>;
  readonly orders: readonly Order[];
  readonly fills: readonly Fill[];
  readonly roundTrips: readonly ClosedRoundTrip[];
  readonly recorder: EquityRecorder;
  readonly startEquity: Decimal;
  readonly endEquity: Decimal;
  readonly fees: Decimal;
  readonly alerts: readonly Alert[];
  readonly logs: readonly LogLine[];
  readonly events: number;
  /** The strategy's state at the end, plain JSON. */
  readonly finalState: JsonObject;
  /** Set when the strategy threw while running: the run stopped there (a partial run). */
  readonly failure?: StrategyError;
}

/** Called every few thousand events with the number processed and the current time. */
export type ProgressCallback = (processed: number, now: number) => void;

/**
 * A backtest: one strategy on one instrument against the `SimulatedExchange`, on a simulated
 * clock. The same engines as paper and live (bus, risk, execution, ledger, strategy runner);
 * only the clock and the venue differ. For each bar: the exchange matches at the bar's open
 * time, fills reach the ledger and the strategy, then the strategy sees the bar at its close.
 *
 * @example
 * const engine = new BacktestEngine({ instrument, strategy, cash: '100000' });
 * const run = await engine.runBars(openBars('orcl.txt', { instrumentId: 'ORCL' }));
 */
export class BacktestEngine {
  readonly #clock = new SimClock(0);
  readonly #kernel: Kernel<SimulatedExchange>;
  readonly #seam: StrategySeam;
  /** Calls of a seam that answers later, not awaited yet. */
  readonly #pending: Promise<unknown>[] = [];
  readonly #seed: number;
  readonly #recorder: EquityRecorder;
  readonly #fills: Fill[] = [];
  readonly #alerts: Alert[] = [];
  readonly #logs: LogLine[] = [];
  readonly #inst: Instrument;
  readonly #params: Readonly<Record<string, number | string | boolean>>;
  #events = 0;
  /** The close of the last bar run (a bar must not open before it). */
  #prevClose = -Infinity;
  /** The index in its batch of the bar being run. */
  #at = 0;

  constructor(config: BacktestConfig) {
    const inst = (this.#inst = config.instrument);
    const startCash = toDecimal(config.cash);
    if (startCash.lte(0))
      throw new KairosError('CONFIG_INVALID', '--cash: must be a positive decimal');
    this.#params = resolveParams(config.strategy.params, config.params ?? {});
    this.#recorder = new EquityRecorder(startCash, config.expectedBars);
    const kernel = (this.#kernel = new Kernel({
      accountId: config.accountId ?? 'backtest',
      clock: this.#clock,
      instruments: [inst],
      cash: { [inst.quote]: startCash },
      allowShort: config.allowShort ?? false,
      // The report lists every round trip.
      keepRoundTrips: true,
      // The OMS keeps every order (the report reads them all); strategies read the window.
      ...(config.closedOrderRetentionMs !== undefined
        ? { strategyOrderWindowMs: config.closedOrderRetentionMs }
        : {}),
      onAlert: (a) => this.#alerts.push(a),
      venue: (ports) =>
        new SimulatedExchange(
          {
            venue: 'SIM',
            instruments: [inst],
            slippageBps: config.slippageBps ?? 0,
            latencyMs: config.latencyMs ?? 0,
            maxVolumeFraction: config.maxVolumeFraction ?? 1,
            buyFeeIn: config.buyFeeIn ?? 'quote',
            // Nothing reconciles with a backtest's venue: it forgets closed orders.
            keepClosed: false,
          },
          ports.report,
        ),
    }));
    // After the kernel's ledger: the fill is booked when the recorder reads cash and position.
    kernel.bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => this.#onOrderEvent(e));
    const strategyId = config.strategyId ?? config.strategy.name;
    this.#seed = config.seed ?? 1;
    const host: SeamHost = {
      strategyId,
      instrument: inst,
      services: (random) =>
        kernel.strategyServices(strategyId, random, (_sid, ts, message) =>
          this.#logs.push({ ts, message }),
        ),
    };
    // The in-process seam: synchronous, nothing serialised (the fast path).
    const seam = (this.#seam = config.strategySeam
      ? config.strategySeam(host)
      : new InProcessSeam(config.strategy, this.#params as never, host));
    const rec = this.#recorder;
    const pending = this.#pending;
    // Strategies and the equity curve hear bars and trades from the data engine.
    kernel.bus.subscribe<Bar>(Topics.bars(inst.id), (bar) => {
      const call = seam.onBar(bar);
      if (call instanceof Promise) pending.push(call);
      rec.recordBar(bar);
    });
    kernel.bus.subscribe<TradeTick>(Topics.trades(inst.id), (tick) => {
      const call = seam.onTrade(tick);
      if (call instanceof Promise) pending.push(call);
    });
  }

  /** Awaits the calls of a seam that answers later, then hands over the order events left. */
  async #settle(): Promise<void> {
    const pending = this.#pending;
    while (pending.length > 0) await pending.shift();
    for (;;) {
      const call = this.#seam.drain();
      if (!(call instanceof Promise) || (await call).events === 0) return;
    }
  }

  /** Runs the strategy over bar batches. */
  async runBars(
    source: AsyncIterable<readonly Bar[]>,
    onProgress?: ProgressCallback,
  ): Promise<BacktestRun> {
    await this.#seam.start({ state: null, ordersMade: 0, random: this.#seed });
    const clock = this.#clock;
    const kernel = this.#kernel;
    const remote = this.#seam instanceof InProcessSeam ? null : this.#pending;
    for await (const batch of source) {
      let i = 0;
      try {
        if (!remote) i = this.#barsInProcess(batch);
        else
          for (; i < batch.length; i++) {
            this.#checkOrder(batch[i]!);
            kernel.onBar(batch[i]!);
            await this.#settle();
          }
      } catch (e) {
        return this.#failedAt(e, (remote ? i : this.#at) + 1);
      }
      this.#events += batch.length;
      onProgress?.(this.#events, clock.now());
    }
    return this.#finish();
  }

  /**
   * `runBars` over the bars of columns (the columnar cache) in `range`, the same run: when
   * those bars are consecutive rows, the equity recorder reads their close times and prices from
   * the columns instead of writing a copy of each (five arrays of float64 a bar; fresh pages are
   * what it costs).
   *
   * @example
   * const run = await engine.runBarColumns(await loadColumns(file, opts, dir), opts);
   */
  runBarColumns(
    cols: BarColumns,
    range: BarColumnsRange,
    onProgress?: ProgressCallback,
  ): Promise<BacktestRun> {
    const rows = rowsInRange(cols, range);
    if (rows) this.#recorder.useColumns(cols, rows.start, rows.end);
    return this.runBars(barsFromColumns(cols, range), onProgress);
  }

  /**
   * A batch of bars with an in-process strategy: a plain loop, outside the async function (whose
   * locals live in its suspended frame, where a number is boxed anew at each store). Returns the
   * batch's length; `#at` is the bar being run, should one throw.
   */
  #barsInProcess(batch: readonly Bar[]): number {
    const kernel = this.#kernel;
    for (let i = 0; i < batch.length; i++) {
      this.#at = i;
      this.#checkOrder(batch[i]!);
      kernel.onBar(batch[i]!);
    }
    return batch.length;
  }

  /** `#barsInProcess` for trades. */
  #tradesInProcess(batch: readonly TradeTick[], agg: { push(t: TradeTick): void }): number {
    for (let i = 0; i < batch.length; i++) {
      this.#at = i;
      this.#trade(batch[i]!, agg);
    }
    return batch.length;
  }

  /** One trade: refused if earlier than the clock, else aggregated, matched and published. */
  #trade(tick: TradeTick, agg: { push(t: TradeTick): void }): void {
    if (tick.ts < this.#clock.now()) {
      throw new KairosError(
        'DATA_ORDER',
        `trade ${tick.tradeId} at ${tick.ts} is earlier than the one before`,
      );
    }
    // A completed bar is emitted (and seen) before the first trade of the next interval.
    agg.push(tick);
    this.#kernel.onTrade(tick);
  }

  /** A bar that opens before the previous one closed is refused (`DATA_ORDER`). */
  #checkOrder(bar: Bar): void {
    if (bar.openTime < this.#prevClose) {
      throw new KairosError(
        'DATA_ORDER',
        `bar at ${bar.openTime} opens before the previous bar closed (${this.#prevClose})`,
      );
    }
    this.#prevClose = bar.closeTime;
  }

  /**
   * Runs the strategy over trade batches. Trades are also aggregated into time bars (by the
   * aggregator given) that feed `onBar`, the equity curve and the report's price chart.
   */
  async runTrades(
    source: AsyncIterable<readonly TradeTick[]>,
    makeAggregator: (emit: (bar: Bar) => void) => { push(t: TradeTick): void; flush(): void },
    onProgress?: ProgressCallback,
  ): Promise<BacktestRun> {
    await this.#seam.start({ state: null, ordersMade: 0, random: this.#seed });
    const clock = this.#clock;
    const kernel = this.#kernel;
    const remote = this.#seam instanceof InProcessSeam ? null : this.#pending;
    // Bars made of trades reach strategies and the recorder as market bars do, but no venue
    // matches them: it has matched every trade already.
    const agg = makeAggregator((bar) => {
      kernel.advanceTo(bar.closeTime);
      kernel.data.onBar(bar);
    });
    for await (const batch of source) {
      let i = 0;
      try {
        if (!remote) i = this.#tradesInProcess(batch, agg);
        else
          for (; i < batch.length; i++) {
            this.#trade(batch[i]!, agg);
            await this.#settle();
          }
      } catch (e) {
        return this.#failedAt(e, (remote ? i : this.#at) + 1);
      }
      this.#events += batch.length;
      onProgress?.(this.#events, clock.now());
    }
    try {
      agg.flush();
      if (remote) await this.#settle();
    } catch (e) {
      return this.#failedAt(e, 0);
    }
    return this.#finish();
  }

  /** A strategy threw: the run ends there, partial, with the failure; anything else is thrown. */
  #failedAt(e: unknown, eventsInBatch: number): Promise<BacktestRun> {
    if (!(e instanceof StrategyError)) throw e;
    this.#events += eventsInBatch;
    return this.#finish(e);
  }

  #onOrderEvent(e: OrderEvent): void {
    if (e.kind !== 'OrderFilled') return;
    const ledger = this.#kernel.ledger;
    this.#fills.push(e.fill);
    this.#recorder.onFill(ledger.cash(this.#inst.quote), ledger.position(this.#inst.id).quantity);
  }

  async #finish(failure?: StrategyError): Promise<BacktestRun> {
    // A failed strategy gets no onStop; its state is kept as it was, if it is still plain JSON.
    let finalState: JsonObject = {};
    if (!failure) finalState = (await this.#seam.stop()).state;
    else
      try {
        finalState = (await this.#seam.snapshot()).state;
      } catch {
        // not plain JSON any more: the failure says enough
      }
    if (this.#events === 0)
      throw new KairosError('DATA_EMPTY', 'the data holds no bars or trades in the chosen range');
    const quote = this.#inst.quote;
    const { ledger, exec, data } = this.#kernel;
    return {
      params: this.#params,
      orders: exec.allOrders(),
      fills: this.#fills,
      roundTrips: ledger.roundTrips,
      recorder: this.#recorder,
      startEquity: ledger.startingCash(quote),
      endEquity: ledger.equity(quote, data.marks(), () => quote),
      fees: ledger.fees,
      alerts: this.#alerts,
      logs: this.#logs,
      events: this.#events,
      finalState,
      ...(failure ? { failure } : {}),
    };
  }
}
