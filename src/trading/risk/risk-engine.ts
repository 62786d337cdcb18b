import type { MessageBus } from '../bus/message-bus.js';
import { Endpoints } from '../bus/topics.js';
import type { Decimal } from '../core/decimal.js';
import { ZERO } from '../core/decimal.js';
import { Reason } from '../core/reason-codes.js';
import type { TradingCommand } from '../model/commands.js';
import type { Instrument } from '../model/instrument.js';
import type { Order } from '../model/order.js';
import { leavesQuantity } from '../model/order.js';
import type { Position } from '../model/position.js';
import { buyCost, preTradeCheck, type Denial, type RiskView } from './pre-trade-check.js';

/** What the risk engine reads: instruments, cash, positions, open orders and last prices. */
export interface RiskSources {
  instrument(instrumentId: string): Instrument | undefined;
  cash(currency: string): Decimal;
  position(instrumentId: string): Position;
  openOrders(): readonly Order[];
  lastPrice(instrumentId: string): Decimal | null;
  deny(order: Order, denial: Denial, ts: number): void;
}

/** Risk settings of the first version. */
export interface RiskSettings {
  readonly allowShort: boolean;
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
  constructor(
    private readonly bus: MessageBus,
    private readonly sources: RiskSources,
    private readonly settings: RiskSettings,
  ) {
    bus.register<TradingCommand>(Endpoints.risk, (cmd) => this.execute(cmd));
  }

  /** Checks a command and forwards it, or denies it. */
  execute(cmd: TradingCommand): void {
    if (cmd.kind === 'SubmitOrder') {
      const denial = this.check(cmd.order);
      if (denial) {
        this.sources.deny(cmd.order, denial, cmd.ts);
        return;
      }
    }
    this.bus.send(Endpoints.execution, cmd);
  }

  /** The denial an order would get now, or null. */
  check(order: Order): Denial | null {
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
