import type { MessageBus } from '../bus/message-bus.js';
import { Endpoints, Topics } from '../bus/topics.js';
import type { Decimal } from '../core/decimal.js';
import { ZERO } from '../core/decimal.js';
import { Reason } from '../core/reason-codes.js';
import { addDecimals, subtractDecimals } from '../core/scaled-decimal.js';
import type { TradingCommand } from '../model/commands.js';
import type { Instrument } from '../model/instrument.js';
import { inScope, type OpenOrderScope, type OpenOrders } from '../model/open-orders.js';
import type { Order } from '../model/order.js';
import { leavesQuantity } from '../model/order.js';
import type { Position } from '../model/position.js';
import { orderRef, type OrderEvent } from '../model/order-events.js';
import { ExecutionCounter } from './execution-counter.js';
import { increasesExposure, limitCheck, type LimitView } from './limit-check.js';
import {
  ACCOUNT_KEY,
  allLimits,
  instrumentKey,
  limitScopes,
  strategyKey,
  type LimitScope,
} from './limit-scopes.js';
import { MessageThrottle } from './message-throttle.js';
import {
  buyCost,
  onePlusFeeRate,
  preTradeCheck,
  type Denial,
  type RiskView,
} from './pre-trade-check.js';
import { PriceWindow } from './price-window.js';
import { DEFAULT_RISK_WINDOW_MS, type LimitSet, type RiskLimits } from './risk-limits.js';
import { TradingStates, type TradingState } from './trading-state.js';

/** The limit sets of an engine without limits (one value, not an array per order). */
const NO_LIMITS: readonly RiskLimits[] = [];
/** The account's scope of the open orders (made once, not per order). */
const ACCOUNT: OpenOrderScope = { kind: 'account' };

/**
 * What the risk engine reads: instruments, cash, positions, open orders and last prices. A
 * denial goes to the OMS as an `OrderDenied` report on the bus.
 */
export interface RiskSources {
  instrument(instrumentId: string): Instrument | undefined;
  cash(currency: string): Decimal;
  position(instrumentId: string): Position;
  /** The open orders and their running totals. */
  readonly open: OpenOrders;
  lastPrice(instrumentId: string): Decimal | null;
}

/** Risk settings. Limits, states and the day's PnL are optional (absent: not checked). */
export interface RiskSettings {
  readonly allowShort: boolean;
  readonly limits?: LimitSet;
  readonly states?: TradingStates;
  /** PnL since the start of the UTC day, fees included (for the daily loss limit). */
  readonly dayPnl?: () => Decimal | null;
  /**
   * The venue's order-rate window of the account (a live account's, kept by the server and
   * shared with its order entry): takes a slot for a new order that passed every other check
   * (one holding a slot already takes no other) and answers null, or answers why it is full (the
   * limit and when a slot frees); the order is then denied `VENUE_ORDER_RATE`. Absent: no rate.
   */
  readonly venueOrderRate?: (clientOrderId: string) => string | null;
  /**
   * The venue's rule for client order ids (`ExecutionClient.clientIdRefusal`): why it would
   * refuse the order's id, or null. An id it refuses is denied `CLIENT_ORDER_ID_INVALID` here,
   * before the order is committed or sent. Absent: every id passes.
   */
  readonly clientIdRefusal?: (clientOrderId: string) => string | null;
}

/** Published on `events.risk` when a trading state changes (the kill switch, a re-enable). */
export interface TradingStateChanged {
  readonly kind: 'TradingStateChanged';
  readonly scope: 'GLOBAL' | 'STRATEGY';
  readonly strategyId: string | null;
  readonly state: TradingState;
  readonly actor: string;
  readonly ts: number;
}

/**
 * The one gate every order passes. It checks a `SubmitOrder` against the account (open orders
 * count against cash and position) and either denies it, with a stable reason code, or forwards
 * it to the execution engine. Cancels always pass. It listens to order events for fills (the
 * repeated-execution throttle) and samples the last price on every order and order event (the
 * window collar); `observePrice` feeds it more prices.
 *
 * @example
 * new RiskEngine(bus, sources, { allowShort: false });
 * bus.send(Endpoints.risk, { kind: 'SubmitOrder', order, ts });
 */
export class RiskEngine {
  readonly #throttle = new MessageThrottle(1000);
  readonly #recent = new Map<string, number>();
  readonly #prices = new PriceWindow();
  readonly #executions = new ExecutionCounter();
  readonly states: TradingStates;

  constructor(
    private readonly bus: MessageBus,
    private readonly sources: RiskSources,
    private readonly settings: RiskSettings,
  ) {
    this.states = settings.states ?? new TradingStates();
    bus.register<TradingCommand>(Endpoints.risk, (cmd) => this.execute(cmd));
    // What it hears of order events (the collar's prices, the executions counted) is kept only
    // for limits: settings without any (a backtest's) can never have one, so it does not listen
    // (four events an order, each a call that returned at once).
    if ('limits' in settings)
      bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => this.#onOrderEvent(e));
  }

  /** Checks a command and forwards it, or denies it. Cancels always pass (and count as messages). */
  execute(cmd: TradingCommand): void {
    if (cmd.kind === 'SubmitOrder') {
      this.#sample(cmd.order.instrumentId, cmd.ts);
      const denial =
        this.#clientId(cmd.order) ?? this.check(cmd.order, cmd.ts) ?? this.#venueRate(cmd.order);
      if (denial) {
        // The denial is the gate's report on the order: to the OMS, through the bus.
        this.bus.send(Endpoints.executionReports, {
          kind: 'OrderDenied',
          ...orderRef(cmd.order),
          ts: cmd.ts,
          reason: denial.reason,
          message: denial.message,
        } satisfies OrderEvent);
        return;
      }
      // Stryker disable next-line ConditionalExpression: equivalent, what is remembered is read only by a scope with a duplicate window
      if (this.#uses('duplicateWindowMs')) this.#remember(cmd.order, cmd.ts);
    }
    // Stryker disable next-line ConditionalExpression: equivalent, the count is read only by a scope with a message limit
    if (this.#uses('maxMessagesPerSecond')) this.#count(cmd);
    this.bus.send(Endpoints.execution, cmd);
  }

  /**
   * Feeds a market price seen at `ts` (a trade, a bar close) to the window collar. Optional: the
   * engine also samples `RiskSources.lastPrice` on every order and order event.
   */
  observePrice(instrumentId: string, price: Decimal, ts: number): void {
    const horizon = this.#collarHorizon();
    if (horizon !== null) this.#prices.record(instrumentId, price, ts, horizon);
  }

  /** First: an id the venue would refuse makes every other check moot. */
  #clientId(order: Order): Denial | null {
    const why = this.settings.clientIdRefusal?.(order.clientOrderId) ?? null;
    return why === null ? null : { reason: Reason.CLIENT_ORDER_ID_INVALID, message: why };
  }

  /**
   * Last, so an order denied for another reason takes no slot of the venue's order rate (every
   * new order of the account, from a trader or a strategy, is counted in the one window).
   */
  #venueRate(order: Order): Denial | null {
    const full = this.settings.venueOrderRate?.(order.clientOrderId) ?? null;
    return full === null ? null : { reason: Reason.VENUE_ORDER_RATE, message: full };
  }

  /** Counts a message for its strategy, its instrument and the account. */
  #count(cmd: TradingCommand): void {
    const [strategyId, instrumentId] =
      cmd.kind === 'SubmitOrder'
        ? [cmd.order.strategyId, cmd.order.instrumentId]
        : [cmd.strategyId, this.sources.open.get(cmd.clientOrderId)?.instrumentId];
    this.#throttle.record(strategyKey(strategyId), cmd.ts);
    if (instrumentId !== undefined) this.#throttle.record(instrumentKey(instrumentId), cmd.ts);
    this.#throttle.record(ACCOUNT_KEY, cmd.ts);
  }

  #onOrderEvent(e: OrderEvent): void {
    this.#sample(e.instrumentId, e.ts);
    if (e.kind !== 'OrderFilled' || !this.#uses('maxRepeatedExecutions')) return;
    const keep = Math.max(...this.#all().map((l) => l.maxRepeatedExecutions ?? 0));
    this.#executions.record(e.strategyId, e.instrumentId, e.fill.side, e.clientOrderId, e.ts, keep);
  }

  /** Records the last price for the window collar, when some scope uses it. */
  #sample(instrumentId: string, ts: number): void {
    const horizon = this.#collarHorizon();
    if (horizon === null) return;
    const last = this.sources.lastPrice(instrumentId);
    if (last !== null) this.#prices.record(instrumentId, last, ts, horizon);
  }

  /** The longest collar window any scope needs, or null when no scope has a window collar. */
  #collarHorizon(): number | null {
    // A loop, not filter and map: it runs for every order event, and without limits (a
    // backtest) it returns at once, with no array or closure made.
    const all = this.#all();
    let horizon: number | null = null;
    for (let i = 0; i < all.length; i++) {
      const l = all[i]!;
      // Stryker disable next-line ConditionalExpression: memory only, a longer horizon keeps samples no scope's window reads
      if (l.windowCollarPct === undefined) continue;
      const ms = l.collarWindowMs ?? DEFAULT_RISK_WINDOW_MS;
      // Stryker disable next-line EqualityOperator: equivalent, an equal window gives the same horizon
      if (horizon === null || ms > horizon) horizon = ms;
    }
    return horizon;
  }

  #remember(order: Order, ts: number): void {
    this.#recent.set(signature(order), ts);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: memory only, when to prune changes no answer (what is pruned is tested)
    if (this.#recent.size < 10_000) return;
    const horizon = ts - Math.max(...this.#all().map((x) => x.duplicateWindowMs ?? 0));
    // Stryker disable next-line ConditionalExpression,EqualityOperator: memory only, an order seen `window` ago or earlier is no duplicate either way
    for (const [k, t] of this.#recent) if (t < horizon) this.#recent.delete(k);
  }

  #all(): readonly RiskLimits[] {
    return this.settings.limits ? allLimits(this.settings.limits) : NO_LIMITS;
  }

  /** True when some limit set uses this limit (so its bookkeeping is needed). */
  #uses(name: keyof RiskLimits): boolean {
    // A loop, not `some` with a closure: asked for every order.
    const all = this.#all();
    // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: equivalent, bookkeeping kept for no scope is read by none
    for (let i = 0; i < all.length; i++) if (all[i]![name] !== undefined) return true;
    // Stryker disable next-line BooleanLiteral: equivalent, bookkeeping kept for no scope is read by none
    return false;
  }

  /**
   * The kill switch: sets HALTED for the account (no `strategyId`) or one strategy, which blocks
   * every new order from now on, and cancels every open order in that scope.
   */
  killSwitch(ts: number, actor: string, strategyId?: string): void {
    this.setState('HALTED', ts, actor, strategyId);
    for (const o of [...this.sources.open.all()]) {
      if (strategyId !== undefined && o.strategyId !== strategyId) continue;
      this.bus.send(Endpoints.execution, {
        kind: 'CancelOrder',
        clientOrderId: o.clientOrderId,
        strategyId: o.strategyId,
        ts,
      });
    }
  }

  /** Sets a trading state (ACTIVE re-enables after the kill switch) and publishes the change. */
  setState(state: TradingState, ts: number, actor: string, strategyId?: string): void {
    this.states.set(state, strategyId);
    const event: TradingStateChanged = {
      kind: 'TradingStateChanged',
      scope: strategyId === undefined ? 'GLOBAL' : 'STRATEGY',
      strategyId: strategyId ?? null,
      state,
      actor,
      ts,
    };
    this.bus.publish(Topics.risk, event);
  }

  /** The denial an order would get now, or null. */
  check(order: Order, now = order.createdAt): Denial | null {
    const state = this.states.effective(order.strategyId);
    if (state === 'HALTED') return { reason: Reason.TRADING_HALTED, message: 'trading is halted' };
    const position = this.sources.position(order.instrumentId).quantity;
    if (state === 'REDUCING' && increasesExposure(order, position)) {
      return {
        reason: Reason.TRADING_REDUCING,
        message: 'trading is REDUCING: only orders that reduce the position may go',
      };
    }
    const first = this.#preTrade(order);
    if (first) return first;
    const limits = this.settings.limits;
    if (!limits) return null;
    for (const scope of limitScopes(limits, order)) {
      const denial = limitCheck(order, scope.limits, this.#limitView(order, position, scope, now));
      if (denial) return denial;
    }
    return null;
  }

  #limitView(order: Order, position: Decimal, scope: LimitScope, now: number): LimitView {
    const l = scope.limits;
    const open = this.sources.open;
    // The order itself counts only as the one being checked, not as one already open.
    const self = open.get(order.clientOrderId);
    // Stryker disable next-line ConditionalExpression: equivalent when true, an order is always in its own scopes
    const counted = self && inScope(scope.open, self) ? self : undefined;
    const openBuy = leavesApart(open.leaves(scope.open, order.instrumentId, 'BUY'), counted, 'BUY');
    const openSell = leavesApart(
      open.leaves(scope.open, order.instrumentId, 'SELL'),
      counted,
      'SELL',
    );
    const seen = this.#recent.get(signature(order));
    const lastPrice = this.sources.lastPrice(order.instrumentId);
    return {
      position,
      openBuy,
      openSell,
      openOrders: open.count(scope.open) - (counted ? 1 : 0),
      lastPrice,
      messagesLastSecond: this.#throttle.count(scope.throttleKey, now),
      dayPnl: this.settings.dayPnl?.() ?? null,
      duplicate:
        seen !== undefined && l.duplicateWindowMs !== undefined && now - seen < l.duplicateWindowMs,
      windowRange:
        // Stryker disable next-line ConditionalExpression: equivalent, a range is read only with a collar
        l.windowCollarPct === undefined
          ? null
          : this.#prices.range(
              order.instrumentId,
              now,
              l.collarWindowMs ?? DEFAULT_RISK_WINDOW_MS,
              lastPrice,
            ),
      recentExecutions:
        // Stryker disable next-line ConditionalExpression: equivalent, the count is read only with the limit
        l.maxRepeatedExecutions === undefined
          ? 0
          : this.#executions.count(
              scope.strategyId,
              order.instrumentId,
              order.side,
              now,
              l.repeatedExecutionWindowMs ?? DEFAULT_RISK_WINDOW_MS,
            ),
    };
  }

  #preTrade(order: Order): Denial | null {
    const inst = this.sources.instrument(order.instrumentId);
    if (!inst)
      return {
        reason: Reason.UNKNOWN_INSTRUMENT,
        message: `unknown instrument ${order.instrumentId}`,
      };
    return preTradeCheck(order, inst, this.#view(order, inst));
  }

  #view(order: Order, inst: Instrument): RiskView {
    const last = this.sources.lastPrice(inst.id);
    const open = this.sources.open;
    const self = open.get(order.clientOrderId);
    let reserved = ZERO;
    for (const id of open.instrumentsWithBuys()) {
      const oi = this.sources.instrument(id);
      if (!oi || oi.quote !== inst.quote) continue;
      reserved = reserved
        .plus(open.buyNotional(id, 'maker').times(onePlusFeeRate(oi, 'maker')))
        .plus(open.buyNotional(id, 'worst').times(onePlusFeeRate(oi, 'worst')));
    }
    for (const o of open.unpricedBuys()) {
      const oi = this.sources.instrument(o.instrumentId);
      if (oi?.quote === inst.quote)
        reserved = addDecimals(
          reserved,
          buyCost(o, oi, this.sources.lastPrice(oi.id), leavesQuantity(o)),
        );
    }
    // Stryker disable next-line ConditionalExpression: equivalent when true, `self` is this order, in this instrument
    if (self?.side === 'BUY' && self.instrumentId === inst.id)
      reserved = subtractDecimals(reserved, buyCost(self, inst, last, leavesQuantity(self)));
    const openSell = leavesApart(open.leaves(ACCOUNT, inst.id, 'SELL'), self, 'SELL');
    const openBuy = leavesApart(open.leaves(ACCOUNT, inst.id, 'BUY'), self, 'BUY');
    return {
      freeCash: subtractDecimals(this.sources.cash(inst.quote), reserved),
      position: this.sources.position(inst.id).quantity,
      openSellQuantity: openSell,
      openBuyQuantity: openBuy,
      lastPrice: last,
      allowShort: this.settings.allowShort,
    };
  }
}

/** `total` without the leaves of `self` when it is on that side. */
function leavesApart(total: Decimal, self: Order | undefined, side: Order['side']): Decimal {
  return self?.side === side ? subtractDecimals(total, leavesQuantity(self)) : total;
}

/** What makes two orders "the same" for the duplicate guard. */
function signature(o: Order): string {
  // Stryker disable next-line StringLiteral: equivalent, any constant marks a missing price alike
  return `${o.strategyId}|${o.instrumentId}|${o.side}|${o.type}|${o.quantity.toFixed()}|${o.price?.toFixed() ?? ''}|${o.triggerPrice?.toFixed() ?? ''}`;
}
