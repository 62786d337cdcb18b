import type { Order } from './order.js';

/** Send this INITIALIZED order (it passes the risk engine first). */
export interface SubmitOrder {
  readonly kind: 'SubmitOrder';
  readonly order: Order;
  readonly ts: number;
}

/** Cancel this open order. */
export interface CancelOrder {
  readonly kind: 'CancelOrder';
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly ts: number;
}

/** Every trading command. */
export type TradingCommand = SubmitOrder | CancelOrder;
