/** Buy or sell. */
export type OrderSide = 'BUY' | 'SELL';

/** What kind of order: market, limit, or a stop that becomes a market or limit order. */
export type OrderType = 'MARKET' | 'LIMIT' | 'STOP_MARKET' | 'STOP_LIMIT';

/** How long an order works: until canceled, immediate-or-cancel, or fill-or-kill. */
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';

/** Every state of an order. `docs/orders.md` draws the state machine. */
export type OrderStatus =
  | 'INITIALIZED'
  | 'DENIED'
  | 'SUBMITTED'
  | 'ACCEPTED'
  | 'REJECTED'
  | 'PARTIALLY_FILLED'
  | 'FILLED'
  | 'PENDING_CANCEL'
  | 'UNKNOWN'
  | 'CANCELED'
  | 'EXPIRED';

/** Who provided liquidity in a fill. */
export type Liquidity = 'MAKER' | 'TAKER';
