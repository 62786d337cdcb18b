import type { MessageBus } from '../bus/message-bus.js';
import { Endpoints, Topics } from '../bus/topics.js';
import type { Decimal } from '../core/decimal.js';
import { ZERO } from '../core/decimal.js';
import { Reason } from '../core/reason-codes.js';
import type { TradingCommand } from '../model/commands.js';
import type { Instrument } from '../model/instrument.js';
import type { Order } from '../model/order.js';
import { leavesQuantity } from '../model/order.js';
import type { Position } from '../model/position.js';
import { increasesExposure, limitCheck, type LimitView } from './limit-check.js';
import { MessageThrottle } from './message-throttle.js';
import { buyCost, preTradeCheck, type Denial, type RiskView } from './pre-trade-check.js';
import type { LimitSet, RiskLimits } from './risk-limits.js';
import { TradingStates, type TradingState } from './trading-state.js';

/** What the risk engine reads: instruments, cash, positions, open orders and last prices. */
export interface RiskSources {
  instrument(instrumentId: string): Instrument | undefined;
  cash(currency: string): Decimal;
  position(instrumentId: string): Position;
  openOrders(): readonly Order[];
  lastPrice(instrumentId: string): Decimal | null;
  deny(order: Order, denial: Denial, ts: number): void;
}

/** Risk settings. Limits, states and the day's PnL are optional (absent: not checked). */
export interface RiskSettings {
  readonly allowShort: boolean;
  readonly limits?: LimitSet;
  readonly states?: TradingStates;
  /** PnL since the start of the UTC day, fees included (for the daily loss limit). */
  readonly dayPnl?: () => Decimal | null;
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
 * it to the execution engine. Cancels always pass.
 *
 * @example
 * new RiskEngine(bus, sources, { allowShort: false });
 * bus.send(Endpoints.risk, { kind: 'SubmitOrder', order, ts });
 */
export class RiskEngine {
  readonly #throttle = new MessageThrottle(1000);
  readonly #recent = new Map<string, number>();
  readonly states: TradingStates;

  constructor(
    private readonly bus: MessageBus,
    private readonly sources: RiskSources,
    private readonly settings: RiskSettings,
  ) {
    this.states = settings.states ?? new TradingStates();
    bus.register<TradingCommand>(Endpoints.risk, (cmd) => this.execute(cmd));
  }

  /** Checks a command and forwards it, or denies it. Cancels always pass (and count as messages). */
  execute(cmd: TradingCommand): void {
    if (cmd.kind === 'SubmitOrder') {
      const denial = this.check(cmd.order, cmd.ts);
      if (denial) {
        this.sources.deny(cmd.order, denial, cmd.ts);
        return;
      }
      if (this.#uses('duplicateWindowMs')) this.#remember(cmd.order, cmd.ts);
    }
    if (this.#uses('maxMessagesPerSecond')) {
      this.#throttle.record(
        `strategy:${cmd.kind === 'SubmitOrder' ? cmd.order.strategyId : cmd.strategyId}`,
        cmd.ts,
      );
      this.#throttle.record('account', cmd.ts);
    }
    this.bus.send(Endpoints.execution, cmd);
  }

  #remember(order: Order, ts: number): void {
    this.#recent.set(signature(order), ts);
    if (this.#recent.size < 10_000) return;
    const l = this.settings.limits!;
    const windows = [l.global, ...Object.values(l.strategies)].map((x) => x.duplicateWindowMs ?? 0);
    const horizon = ts - Math.max(...windows);
    for (const [k, t] of this.#recent) if (t < horizon) this.#recent.delete(k);
  }

  /** True when some limit set uses this limit (so its bookkeeping is needed). */
  #uses(name: keyof RiskLimits): boolean {
    const l = this.settings.limits;
    if (!l) return false;
    return (
      l.global[name] !== undefined || Object.values(l.strategies).some((x) => x[name] !== undefined)
    );
  }

  /**
   * The kill switch: sets HALTED for the account (no `strategyId`) or one strategy, which blocks
   * every new order from now on, and cancels every open order in that scope.
   */
  killSwitch(ts: number, actor: string, strategyId?: string): void {
    this.setState('HALTED', ts, actor, strategyId);
    for (const o of this.sources.openOrders()) {
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
    const scopes: [RiskLimits | undefined, (o: Order) => boolean, string][] = [
      [
        limits.strategies[order.strategyId],
        (o) => o.strategyId === order.strategyId,
        `strategy:${order.strategyId}`,
      ],
      [limits.global, () => true, 'account'],
    ];
    for (const [l, inScope, key] of scopes) {
      if (!l) continue;
      const denial = limitCheck(order, l, this.#limitView(order, position, inScope, key, now, l));
      if (denial) return denial;
    }
    return null;
  }

  #limitView(
    order: Order,
    position: Decimal,
    inScope: (o: Order) => boolean,
    key: string,
    now: number,
    l: RiskLimits,
  ): LimitView {
    let openBuy = ZERO;
    let openSell = ZERO;
    let open = 0;
    for (const o of this.sources.openOrders()) {
      if (o.clientOrderId === order.clientOrderId || !inScope(o)) continue;
      open++;
      if (o.instrumentId !== order.instrumentId) continue;
      if (o.side === 'BUY') openBuy = openBuy.plus(leavesQuantity(o));
      else openSell = openSell.plus(leavesQuantity(o));
    }
    const seen = this.#recent.get(signature(order));
    return {
      position,
      openBuy,
      openSell,
      openOrders: open,
      lastPrice: this.sources.lastPrice(order.instrumentId),
      messagesLastSecond: this.#throttle.count(key, now),
      dayPnl: this.settings.dayPnl?.() ?? null,
      duplicate:
        seen !== undefined && l.duplicateWindowMs !== undefined && now - seen < l.duplicateWindowMs,
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
    let reserved = ZERO;
    let openSell = ZERO;
    let openBuy = ZERO;
    for (const o of this.sources.openOrders()) {
      if (o.clientOrderId === order.clientOrderId) continue;
      const oi = this.sources.instrument(o.instrumentId);
      if (!oi) continue;
      const leaves = leavesQuantity(o);
      if (o.side === 'BUY' && oi.quote === inst.quote)
        reserved = reserved.plus(buyCost(o, oi, this.sources.lastPrice(oi.id), leaves));
      if (o.instrumentId !== inst.id) continue;
      if (o.side === 'SELL') openSell = openSell.plus(leaves);
      else openBuy = openBuy.plus(leaves);
    }
    return {
      freeCash: this.sources.cash(inst.quote).minus(reserved),
      position: this.sources.position(inst.id).quantity,
      openSellQuantity: openSell,
      openBuyQuantity: openBuy,
      lastPrice: last,
      allowShort: this.settings.allowShort,
    };
  }
}

/** What makes two orders "the same" for the duplicate guard. */
function signature(o: Order): string {
  return `${o.strategyId}|${o.instrumentId}|${o.side}|${o.type}|${o.quantity.toFixed()}|${o.price?.toFixed() ?? ''}|${o.triggerPrice?.toFixed() ?? ''}`;
}
