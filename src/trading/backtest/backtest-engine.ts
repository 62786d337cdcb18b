import { MessageBus } from '../bus/message-bus.js';
import { Topics } from '../bus/topics.js';
import { SimClock } from '../clock/sim-clock.js';
import { toDecimal, type Decimal, type DecimalInput } from '../core/decimal.js';
import { KairosError } from '../core/errors.js';
import { SeededRandom } from '../core/random.js';
import type { Bar, TradeTick } from '../data/market-data.js';
import { ExecutionEngine } from '../execution/execution-engine.js';
import type { Alert } from '../model/alert.js';
import type { Fill } from '../model/fill.js';
import type { Instrument } from '../model/instrument.js';
import type { Order } from '../model/order.js';
import type { OrderEvent } from '../model/order-events.js';
import { Ledger } from '../portfolio/ledger.js';
import type { ClosedRoundTrip } from '../portfolio/round-trip-tracker.js';
import { RiskEngine } from '../risk/risk-engine.js';
import type { StrategyDefinition } from '../strategy/define-strategy.js';
import { resolveParams } from '../strategy/params.js';
import { StrategyRunner } from '../strategy/strategy-runner.js';
import type { JsonObject } from '../strategy/strategy-context.js';
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
  readonly cash: DecimalInput;
  readonly slippageBps?: number;
  readonly latencyMs?: number;
  readonly maxVolumeFraction?: number;
  readonly seed?: number;
  readonly allowShort?: boolean;
  /** A hint of how many bars the run has (sizes the equity arrays once). */
  readonly expectedBars?: number;
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
  readonly #bus = new MessageBus();
  readonly #ledger: Ledger;
  readonly #exec: ExecutionEngine;
  readonly #exchange: SimulatedExchange;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly #runner: StrategyRunner<any, any, any>;
  readonly #recorder: EquityRecorder;
  readonly #fills: Fill[] = [];
  readonly #alerts: Alert[] = [];
  readonly #logs: LogLine[] = [];
  readonly #inst: Instrument;
  readonly #params: Readonly<Record<string, number | string | boolean>>;
  #last: Decimal | null = null;
  #lastNumber = NaN;
  #events = 0;

  constructor(config: BacktestConfig) {
    const inst = (this.#inst = config.instrument);
    const startCash = toDecimal(config.cash);
    if (startCash.lte(0))
      throw new KairosError('CONFIG_INVALID', '--cash: must be a positive decimal');
    this.#params = resolveParams(config.strategy.params, config.params ?? {});
    this.#ledger = new Ledger({ [inst.quote]: startCash });
    this.#recorder = new EquityRecorder(startCash, config.expectedBars);
    const bus = this.#bus;
    this.#exchange = new SimulatedExchange(
      {
        venue: 'SIM',
        instruments: [inst],
        slippageBps: config.slippageBps ?? 0,
        latencyMs: config.latencyMs ?? 0,
        maxVolumeFraction: config.maxVolumeFraction ?? 1,
      },
      (event: OrderEvent) => this.#exec.process(event),
    );
    this.#exec = new ExecutionEngine(bus, () => this.#exchange);
    // The ledger subscribes first, so a strategy always sees its fills already booked.
    bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => this.#onOrderEvent(e));
    bus.subscribe<Alert>(Topics.alerts, (a) => this.#alerts.push(a));
    const lookup = (id: string) => (id === inst.id ? inst : undefined);
    new RiskEngine(
      bus,
      {
        instrument: lookup,
        cash: (c) => this.#ledger.cash(c),
        position: (id) => this.#ledger.position(id),
        open: this.#exec.open,
        lastPrice: (id) => (id === inst.id ? this.#lastPrice() : null),
        deny: (o, d, ts) => this.#exec.deny(o, d, ts),
      },
      { allowShort: config.allowShort ?? false },
    );
    const rng = new SeededRandom(config.seed ?? 1);
    this.#runner = new StrategyRunner(
      config.strategy,
      this.#params as never,
      config.strategyId ?? config.strategy.name,
      inst,
      {
        bus,
        clock: this.#clock,
        random: () => rng.next(),
        instrument: lookup,
        addOrder: (o) => this.#exec.add(o),
        deny: (o, d, ts) => this.#exec.deny(o, d, ts),
        order: (id) => this.#exec.order(id),
        openOrders: (sid) => this.#exec.openOrders(sid),
        position: (id) => this.#ledger.position(id),
        cash: (c) => this.#ledger.cash(c),
        log: (_sid, ts, message) => this.#logs.push({ ts, message }),
      },
    );
  }

  /** Runs the strategy over bar batches. */
  async runBars(
    source: AsyncIterable<readonly Bar[]>,
    onProgress?: ProgressCallback,
  ): Promise<BacktestRun> {
    this.#runner.start();
    const clock = this.#clock;
    const exchange = this.#exchange;
    const runner = this.#runner;
    const rec = this.#recorder;
    let prevClose = -Infinity;
    for await (const batch of source) {
      let i = 0;
      try {
        for (; i < batch.length; i++) {
          const bar = batch[i]!;
          if (bar.openTime < prevClose) {
            throw new KairosError(
              'DATA_ORDER',
              `bar at ${bar.openTime} opens before the previous bar closed (${prevClose})`,
            );
          }
          prevClose = bar.closeTime;
          clock.advanceTo(bar.openTime);
          exchange.onBar(bar);
          clock.advanceTo(bar.closeTime);
          this.#setLast(bar.close);
          runner.onBar(bar);
          rec.onBar(bar.closeTime, bar.open, bar.high, bar.low, bar.close);
        }
      } catch (e) {
        return this.#failedAt(e, i + 1);
      }
      this.#events += batch.length;
      onProgress?.(this.#events, clock.now());
    }
    return this.#finish();
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
    this.#runner.start();
    const clock = this.#clock;
    const rec = this.#recorder;
    const agg = makeAggregator((bar) => {
      clock.advanceTo(bar.closeTime);
      this.#runner.onBar(bar);
      rec.onBar(bar.closeTime, bar.open, bar.high, bar.low, bar.close);
    });
    for await (const batch of source) {
      let i = 0;
      try {
        for (; i < batch.length; i++) {
          const tick = batch[i]!;
          if (tick.ts < clock.now()) {
            throw new KairosError(
              'DATA_ORDER',
              `trade ${tick.tradeId} at ${tick.ts} is earlier than the one before`,
            );
          }
          // A completed bar is emitted (and seen) before the first trade of the next interval.
          agg.push(tick);
          clock.advanceTo(tick.ts);
          this.#exchange.onTrade(tick);
          this.#setLast(tick.price);
          this.#runner.onTrade(tick);
        }
      } catch (e) {
        return this.#failedAt(e, i + 1);
      }
      this.#events += batch.length;
      onProgress?.(this.#events, clock.now());
    }
    try {
      agg.flush();
    } catch (e) {
      return this.#failedAt(e, 0);
    }
    return this.#finish();
  }

  /** A strategy threw: the run ends there, partial, with the failure; anything else is thrown. */
  #failedAt(e: unknown, eventsInBatch: number): BacktestRun {
    if (!(e instanceof StrategyError)) throw e;
    this.#events += eventsInBatch;
    return this.#finish(e);
  }

  #setLast(price: number): void {
    if (price !== this.#lastNumber) {
      this.#lastNumber = price;
      this.#last = null;
    }
  }

  #lastPrice(): Decimal | null {
    if (this.#last === null && !Number.isNaN(this.#lastNumber))
      this.#last = toDecimal(this.#lastNumber);
    return this.#last;
  }

  #onOrderEvent(e: OrderEvent): void {
    if (e.kind !== 'OrderFilled') return;
    const quote = this.#inst.quote;
    this.#ledger.applyFill(e.fill, this.#inst);
    this.#fills.push(e.fill);
    this.#recorder.onFill(this.#ledger.cash(quote), this.#ledger.position(this.#inst.id).quantity);
  }

  #finish(failure?: StrategyError): BacktestRun {
    // A failed strategy gets no onStop; its state is kept as it was, if it is still plain JSON.
    let finalState: JsonObject = {};
    if (!failure) finalState = this.#runner.stop();
    else
      try {
        finalState = this.#runner.snapshot();
      } catch {
        // not plain JSON any more: the failure says enough
      }
    if (this.#events === 0)
      throw new KairosError('DATA_EMPTY', 'the data holds no bars or trades in the chosen range');
    const quote = this.#inst.quote;
    const marks = new Map<string, Decimal>();
    const last = this.#lastPrice();
    if (last) marks.set(this.#inst.id, last);
    return {
      params: this.#params,
      orders: this.#exec.allOrders(),
      fills: this.#fills,
      roundTrips: this.#ledger.roundTrips,
      recorder: this.#recorder,
      startEquity: this.#ledger.startingCash(quote),
      endEquity: this.#ledger.equity(quote, marks, () => quote),
      fees: this.#ledger.fees,
      alerts: this.#alerts,
      logs: this.#logs,
      events: this.#events,
      finalState,
      ...(failure ? { failure } : {}),
    };
  }
}
