import type { Money, Price, Quantity } from '../core/money.js';
import type { Liquidity, OrderSide } from './order-types.js';

/**
 * One execution of (part of) an order. `tradeId` is unique per venue; fills are deduplicated by it.
 *
 * @example
 * const f: Fill = { venue: 'SIM', tradeId: 'T-1', accountId: 'paper', clientOrderId: 'K-sma-1', instrumentId: 'ORCL',
 *   side: 'BUY', price: price('10'), quantity: quantity('100'), fee: money('1', 'USD'),
 *   liquidity: 'TAKER', ts: 0 };
 */
export interface Fill {
  readonly venue: string;
  readonly tradeId: string;
  /** The account the fill is booked to: a trade id is unique only within (account, venue). */
  readonly accountId: string;
  readonly clientOrderId: string;
  readonly instrumentId: string;
  readonly side: OrderSide;
  readonly price: Price;
  readonly quantity: Quantity;
  readonly fee: Money;
  readonly liquidity: Liquidity;
  readonly ts: number;
}
