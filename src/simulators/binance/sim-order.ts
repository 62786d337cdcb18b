import type { Decimal } from '../../trading/core/decimal.js';

/** Binance spot order types the simulator takes. */
export type SimOrderType = 'LIMIT' | 'LIMIT_MAKER' | 'MARKET';

/** Binance order statuses the simulator uses. */
export type SimOrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';

/** An order at the simulated venue (mutable inside the matcher only). */
export interface SimOrder {
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly side: 'BUY' | 'SELL';
  readonly type: SimOrderType;
  readonly timeInForce: 'GTC' | 'IOC' | 'FOK';
  /** The limit price; zero for a market order (as Binance reports it). */
  readonly price: Decimal;
  readonly origQty: Decimal;
  readonly origQuoteOrderQty: Decimal;
  executedQty: Decimal;
  cummulativeQuoteQty: Decimal;
  status: SimOrderStatus;
  /** Venue (market) time of creation. */
  readonly time: number;
  updateTime: number;
  /** Server (wall) clock time the order was committed, for the "not yet visible" fault. */
  readonly committedAt: number;
  /** What the order still holds locked (quote for a buy, base for a sell). */
  locked: Decimal;
  /** Client order id of the cancel request, once canceled. */
  cancelClientOrderId: string | null;
}

/** One fill of one of the user's orders. */
export interface SimTrade {
  readonly id: number;
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly side: 'BUY' | 'SELL';
  readonly price: Decimal;
  readonly qty: Decimal;
  readonly quoteQty: Decimal;
  readonly commission: Decimal;
  readonly commissionAsset: string;
  readonly time: number;
  readonly isMaker: boolean;
}
