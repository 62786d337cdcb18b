import type { DecimalInput } from '../core/decimal.js';
import type { OrderSide, OrderType, TimeInForce } from '../model/order-types.js';

/**
 * What a strategy or a trader asks for. Prices and quantities may be any decimal input; they are
 * snapped to the instrument's grid when the order is made.
 *
 * @example
 * const req: OrderRequest = { side: 'BUY', type: 'LIMIT', quantity: '0.5', price: '101.25' };
 */
export interface OrderRequest {
  readonly side: OrderSide;
  readonly type?: OrderType;
  readonly quantity: DecimalInput;
  readonly price?: DecimalInput;
  readonly triggerPrice?: DecimalInput;
  readonly timeInForce?: TimeInForce;
  readonly postOnly?: boolean;
  readonly reduceOnly?: boolean;
  /** Defaults to the strategy's instrument. */
  readonly instrumentId?: string;
  readonly tag?: string;
}
