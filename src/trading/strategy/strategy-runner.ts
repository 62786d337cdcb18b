import type { MessageBus } from '../bus/message-bus.js';
import { Endpoints, Topics } from '../bus/topics.js';
import { ClientOrderIds } from '../core/client-order-id.js';
import type { Decimal, DecimalInput } from '../core/decimal.js';
import { signOf } from '../core/scaled-decimal.js';
import type { Clock } from '../clock/clock.js';
import type { Bar, TradeTick } from '../data/market-data.js';
import { makeOrder } from '../execution/order-factory.js';
import type { OrderRequest } from '../execution/order-request.js';
import type { Instrument } from '../model/instrument.js';
import type { Order } from '../model/order.js';
import type { OrderEvent } from '../model/order-events.js';
import { openCost, type Position } from '../model/position.js';
import type { Denial } from '../risk/pre-trade-check.js';
import type { IndicatorSet, StrategyDefinition } from './define-strategy.js';
import { hasState, type AnyIndicator, type IndicatorsState } from './indicator-set.js';
import { snapshotState } from './json-state.js';
import { StrategyError, type StrategyPhase } from './strategy-error.js';
import type { ParamSpecs, ParamValues } from './params.js';
import type {
  JsonObject,
  OrderTicket,
  PositionView,
  StrategyContext,
  TradeOptions,
} from './strategy-context.js';
import { inOrderWindow } from './order-window.js';

/** The services a running strategy uses; the kernel wires them to the engines. */
export interface StrategyServices {
  /** The account the strategy trades on: its orders carry it. */
  readonly accountId: string;
  readonly bus: MessageBus;
  readonly clock: Clock;
  random(): number;
  instrument(instrumentId: string): Instrument | undefined;
  addOrder(order: Order): void;
  deny(order: Order, denial: Denial, ts: number): void;
  order(clientOrderId: string): Order | undefined;
  /**
   * How long after it closed the strategy still reads an order (`ctx.order`, `inOrderWindow`), in
   * ms of `clock`; the kernel gives the same window in every mode. Absent: every order is read.
   */
  readonly closedOrderWindowMs?: number;
  /**
   * The order already made under this order's client order id, if any (a bar replayed after a
   * restart makes the same decisions again): it stands, and no new order is made. Default:
   * `order(id)`.
   */
  remade?(order: Order): Order | undefined;
  openOrders(strategyId: string): readonly Order[];
  /**
   * The ids of every order of the strategy the host still holds, open or closed (what a resumed
   * remote seam may show as closed within the window). Absent: none.
   */
  heldOrderIds?(strategyId: string): readonly string[];
  /** Told before the strategy's cancel of an order goes to the gate (a replayed bar shows its events). */
  canceling?(clientOrderId: string): void;
  position(instrumentId: string): Position;
  cash(currency: string): Decimal;
  log(strategyId: string, ts: number, message: string): void;
  /**
   * Takes a submit instead of making the order and sending it to the gate (a strategy running
   * behind a seam records it as a command). Default: `submitRequest`.
   */
  submit?(req: OrderRequest, inst: Instrument, clientOrderId: string, ts: number): OrderTicket;
}

/**
 * Makes the order of a request under its client order id and sends it through the risk gate:
 * what `ctx.submit` does in-process, and what the host does with a submit command from a
 * strategy behind a seam. The ticket says whether the gate let it through.
 *
 * @example
 * const ticket = submitRequest(services, 'sma', { side: 'BUY', quantity: '1' }, inst, 'sma-1', ts);
 */
export function submitRequest(
  services: StrategyServices,
  strategyId: string,
  req: OrderRequest,
  inst: Instrument,
  clientOrderId: string,
  ts: number,
): OrderTicket {
  const { order, denial } = makeOrder(req, inst, {
    clientOrderId,
    accountId: services.accountId,
    strategyId,
    ts,
  });
  // A bar replayed after a restart makes the same ids: an order that already exists is the
  // same decision, so it is not made twice (idempotent by client order id).
  const existing = services.remade ? services.remade(order) : services.order(clientOrderId);
  if (existing) {
    return {
      clientOrderId,
      accepted: existing.status !== 'DENIED',
      reason: existing.status === 'DENIED' ? existing.reason : null,
    };
  }
  services.addOrder(order);
  if (denial) services.deny(order, denial, ts);
  else services.bus.send(Endpoints.risk, { kind: 'SubmitOrder', order, ts });
  const now = services.order(clientOrderId)!;
  const denied = now.status === 'DENIED';
  return { clientOrderId, accepted: !denied, reason: denied ? now.reason : null };
}

/** Bars slid out of a strategy's history before the bars in view move down (see `#pushHistory`). */
const HISTORY_BLOCK = 256;

/**
 * Runs one strategy: feeds its indicators, keeps its bar history, builds its context and calls
 * its handlers. Order events that happen while a handler runs are queued and delivered after it
 * returns, so handlers never re-enter.
 *
 * @example
 * const runner = new StrategyRunner(definition, params, 'sma', instrument, services);
 * runner.start();
 * runner.onBar(bar);
 */
export class StrategyRunner<P extends ParamSpecs, S extends JsonObject, I extends IndicatorSet> {
  readonly ctx: StrategyContext<P, S, I>;
  readonly #barFed: AnyIndicator[] = [];
  readonly #tradeFed: AnyIndicator[] = [];
  readonly #history: Bar[];
  readonly #capacity: number;
  readonly #ids: ClientOrderIds;
  readonly #pending: OrderEvent[] = [];
  /** The bars in view are `#history[#historyStart .. #historyEnd)`. */
  #historyStart = 0;
  #historyEnd = 0;
  /** The last price seen (meaningful once `#hasLast`): a number field, not boxed per bar. */
  #last = 0;
  #hasLast = false;
  #busy = false;
  /** Bars fed so far (warm-up included): the index of the next one. */
  #bars = 0;

  constructor(
    private readonly def: StrategyDefinition<P, S, I>,
    params: ParamValues<P>,
    readonly strategyId: string,
    private readonly instrument: Instrument,
    private readonly services: StrategyServices,
    ordersMade = 0,
  ) {
    const indicators = def.indicators ? def.indicators(params) : ({} as I);
    for (const ind of Object.values(indicators)) {
      (ind.input === 'trade' ? this.#tradeFed : this.#barFed).push(ind);
    }
    this.#capacity = def.history ?? 500;
    this.#history = [];
    this.#ids = new ClientOrderIds(strategyId, ordersMade);
    this.ctx = this.#context(params, indicators);
    services.bus.subscribe<OrderEvent>(Topics.orderEvents(strategyId), (e) =>
      this.#onOrderEvent(e),
    );
  }

  /** Calls `init` and keeps the state it returns. */
  start(): void {
    if (this.def.init)
      this.#run('init', () => (this.ctx.state = this.def.init!(this.ctx) ?? ({} as S)));
  }

  /** Takes back a saved state instead of calling `init` (a resumed run). */
  resume(state: JsonObject): void {
    this.ctx.state = snapshotState(state) as S;
  }

  /**
   * The state of every indicator that can save one (`hasState`), by name, with the bars fed so
   * far: what `restoreIndicators` takes back.
   */
  saveIndicators(): IndicatorsState {
    const values: Record<string, JsonObject> = {};
    for (const [name, ind] of Object.entries(this.ctx.indicators)) {
      if (hasState(ind)) values[name] = ind.saveState();
    }
    return { bars: this.#bars, values };
  }

  /** Takes back what `saveIndicators` of the same definition and params made. */
  restoreIndicators(saved: IndicatorsState): void {
    if (!Number.isSafeInteger(saved?.bars) || saved.bars < 0 || typeof saved.values !== 'object')
      throw new RangeError('indicator state: not a bar count and values');
    for (const [name, ind] of Object.entries(this.ctx.indicators)) {
      if (!hasState(ind)) continue;
      const state = saved.values[name];
      if (!state) throw new RangeError(`indicator state: ${name} is missing`);
      ind.restoreState(state);
    }
    this.#bars = saved.bars;
  }

  /**
   * Feeds a bar whose effect on the indicators a restored state already holds: history and the
   * last price, and only the indicators that cannot save a state.
   */
  rewarm(bar: Bar): void {
    this.#setLast(bar.close);
    const inds = this.#barFed;
    for (let i = 0; i < inds.length; i++) if (!hasState(inds[i]!)) inds[i]!.updateBar(bar);
    this.#pushHistory(bar);
  }

  /** `rewarm` for a trade: the last price, and the trade-fed indicators without a state. */
  rewarmTrade(tick: TradeTick): void {
    this.#setLast(tick.price);
    const inds = this.#tradeFed;
    for (let i = 0; i < inds.length; i++) if (!hasState(inds[i]!)) inds[i]!.updateValue(tick.price);
  }

  /** Feeds a bar already handled before a restart: indicators and history only, no handler. */
  warm(bar: Bar): void {
    this.#setLast(bar.close);
    this.#bars++;
    const inds = this.#barFed;
    for (let i = 0; i < inds.length; i++) inds[i]!.updateBar(bar);
    this.#pushHistory(bar);
  }

  /** Feeds a bar to the indicators and the strategy. */
  onBar(bar: Bar): void {
    this.warm(bar);
    const onBar = this.def.onBar;
    if (onBar) this.#handle('onBar', onBar, bar);
  }

  /** Calls a bar or trade handler (the hot path: no closure per call), then the events it made. */
  #handle<E>(
    phase: StrategyPhase,
    handler: (ctx: StrategyContext<P, S, I>, event: E) => void,
    event: E,
  ): void {
    this.#busy = true;
    try {
      handler(this.ctx, event);
      if (this.#pending.length > 0) this.#drain();
    } catch (e) {
      throw this.#failed(e, phase);
    } finally {
      this.#busy = false;
    }
  }

  /** Feeds a trade already handled before a restart: trade-fed indicators only, no handler. */
  warmTrade(tick: TradeTick): void {
    this.#setLast(tick.price);
    const inds = this.#tradeFed;
    for (let i = 0; i < inds.length; i++) inds[i]!.updateValue(tick.price);
  }

  /** Feeds a trade to the trade-fed indicators and the strategy. */
  onTrade(tick: TradeTick): void {
    this.warmTrade(tick);
    const onTrade = this.def.onTrade;
    if (onTrade) this.#handle('onTrade', onTrade, tick);
  }

  #setLast(price: number): void {
    this.#last = price;
    this.#hasLast = true;
  }

  /** Calls `onStop` and returns the final state, checked to be plain JSON. */
  stop(): JsonObject {
    const onStop = this.def.onStop;
    if (onStop) this.#run('onStop', () => onStop(this.ctx));
    return this.snapshot();
  }

  /** The strategy's state as plain JSON (throws `STRATEGY_STATE` naming what is not). */
  snapshot(): JsonObject {
    return snapshotState(this.ctx.state);
  }

  /** Number of client order ids used (to resume without reusing one). */
  get ordersMade(): number {
    return this.#ids.count;
  }

  /** Tells the strategy about an order event it could not see (one settled during recovery). */
  deliver(event: OrderEvent): void {
    if (event.strategyId === this.strategyId) this.#onOrderEvent(event);
  }

  #onOrderEvent(event: OrderEvent): void {
    if (!this.def.onOrderEvent || event.kind === 'OrderInitialized') return;
    this.#pending.push(event);
    if (!this.#busy) this.#run('onOrderEvent', () => undefined);
  }

  #run(phase: StrategyPhase, handler: () => void): void {
    this.#busy = true;
    try {
      handler();
      this.#drain();
    } catch (e) {
      throw this.#failed(e, phase);
    } finally {
      this.#busy = false;
    }
  }

  #drain(): void {
    const onOrderEvent = this.def.onOrderEvent;
    try {
      while (onOrderEvent && this.#pending.length > 0)
        onOrderEvent(this.ctx, this.#pending.shift()!);
    } catch (e) {
      throw this.#failed(e, 'onOrderEvent');
    }
  }

  /** A handler threw: the error, naming the strategy, the phase, the bar and the time. */
  #failed(e: unknown, phase: StrategyPhase): Error {
    const atBar = phase !== 'init';
    return StrategyError.wrap(
      e,
      this.def.name,
      phase,
      atBar && this.#bars > 0 ? this.#bars - 1 : null,
      atBar ? this.services.clock.now() : null,
    );
  }

  #pushHistory(bar: Bar): void {
    // A window sliding over an array that stops growing: when the array is full and more than a
    // block (and the capacity) has slid out, the bars in view move down in place and the slots
    // after them are cleared, so each push is amortised O(1) and allocates nothing once warm.
    // The block is small: a bar that slid out stays reachable until the next move, and bars kept
    // past a young-generation collection are copied by it and make V8 grow the young generation
    // (more fresh memory a run writes; docs/benchmarks.md, "history moved down sooner").
    const history = this.#history;
    let end = this.#historyEnd;
    if (
      end === history.length &&
      this.#historyStart > HISTORY_BLOCK &&
      this.#historyStart > this.#capacity
    ) {
      // A plain loop: `copyWithin` takes the generic path, an element look-up at a time.
      const from = this.#historyStart;
      for (let k = from; k < end; k++) history[k - from] = history[k]!;
      end -= from;
      history.fill(undefined as unknown as Bar, end);
      this.#historyStart = 0;
    }
    if (end === history.length) history.push(bar);
    else history[end] = bar;
    this.#historyEnd = ++end;
    if (end - this.#historyStart > this.#capacity) this.#historyStart++;
  }

  #submit(req: OrderRequest): OrderTicket {
    const { services, strategyId } = this;
    const ts = services.clock.now();
    // The services' instrument is the one in force (a venue may have changed its tick since).
    const inst = req.instrumentId
      ? services.instrument(req.instrumentId)
      : (services.instrument(this.instrument.id) ?? this.instrument);
    if (!inst) throw new RangeError(`unknown instrument ${req.instrumentId}`);
    const clientOrderId = this.#ids.next();
    return services.submit
      ? services.submit(req, inst, clientOrderId, ts)
      : submitRequest(services, strategyId, req, inst, clientOrderId, ts);
  }

  #context(params: ParamValues<P>, indicators: I): StrategyContext<P, S, I> {
    const { services, strategyId, instrument } = this;
    // Without options (the usual call) the request is made directly, with no spread of an empty object.
    const trade = (side: 'BUY' | 'SELL', quantity: DecimalInput, options?: TradeOptions) =>
      this.#submit(options === undefined ? { side, quantity } : { ...options, side, quantity });
    return {
      strategyId,
      params,
      state: {} as S,
      indicators,
      instrument,
      now: () => services.clock.now(),
      random: () => services.random(),
      bars: (count) => {
        if (typeof count !== 'number' || Number.isNaN(count))
          throw new RangeError(`ctx.bars(count): count must be a number, got ${String(count)}`);
        const end = this.#historyEnd;
        const start = Math.max(this.#historyStart, end - Math.max(0, Math.floor(count)));
        return this.#history.slice(start, end);
      },
      lastPrice: () => (this.#hasLast ? this.#last : null),
      position: (instrumentId = instrument.id) => positionView(services.position(instrumentId)),
      cash: (currency = instrument.quote) => services.cash(currency),
      openOrders: () => services.openOrders(strategyId),
      order: (id) => {
        const o = services.order(id);
        return o !== undefined &&
          o.strategyId === strategyId &&
          inOrderWindow(o, services.clock.now(), services.closedOrderWindowMs)
          ? o
          : undefined;
      },
      submit: (req) => this.#submit(req),
      buy: (q, o) => trade('BUY', q, o),
      sell: (q, o) => trade('SELL', q, o),
      cancel: (clientOrderId) => {
        services.canceling?.(clientOrderId);
        services.bus.send(Endpoints.risk, {
          kind: 'CancelOrder',
          clientOrderId,
          strategyId,
          ts: services.clock.now(),
        });
      },
      cancelAll: () => {
        for (const o of services.openOrders(strategyId)) {
          services.canceling?.(o.clientOrderId);
          services.bus.send(Endpoints.risk, {
            kind: 'CancelOrder',
            clientOrderId: o.clientOrderId,
            strategyId,
            ts: services.clock.now(),
          });
        }
      },
      log: (message) => services.log(strategyId, services.clock.now(), message),
    };
  }
}

/**
 * A strategy's view of a position. A class, not an object literal with a getter: a literal's
 * getter is a new function (and a slow object) each time, and strategies ask on every cross.
 */
class PositionViewOf implements PositionView {
  readonly quantity: Decimal;
  readonly isFlat: boolean;
  readonly isLong: boolean;
  readonly isShort: boolean;
  readonly realizedPnl: Decimal;
  readonly #position: Position;

  constructor(p: Position) {
    const q = p.quantity;
    const sign = signOf(q);
    this.quantity = q;
    this.isFlat = sign === 0;
    this.isLong = sign > 0;
    this.isShort = sign < 0;
    this.realizedPnl = p.realizedPnl;
    this.#position = p;
  }

  /** A division, so only when asked. */
  get averagePrice(): Decimal | null {
    return this.isFlat ? null : openCost(this.#position).div(this.quantity);
  }

  /** `JSON.stringify` (a strategy's log line or state) sees every field, the getter's too. */
  toJSON(): PositionView {
    const { quantity, isFlat, isLong, isShort, averagePrice, realizedPnl } = this;
    return { quantity, isFlat, isLong, isShort, averagePrice, realizedPnl };
  }
}

function positionView(p: Position): PositionView {
  return new PositionViewOf(p);
}
