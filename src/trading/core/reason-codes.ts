/**
 * Stable reason codes carried by denials, rejections, cancels and expiries. They never change
 * meaning; `docs/errors.md` lists each with what it means and what to do.
 */
export const Reason = {
  /** The quantity floors to zero on the instrument's lot grid. */
  QUANTITY_ROUNDS_TO_ZERO: 'QUANTITY_ROUNDS_TO_ZERO',
  /** The snapped quantity is below the instrument's minimum quantity. */
  QUANTITY_BELOW_MIN: 'QUANTITY_BELOW_MIN',
  /** Price × quantity is below the instrument's minimum notional. */
  NOTIONAL_BELOW_MIN: 'NOTIONAL_BELOW_MIN',
  /** A price or trigger price is missing, not positive, or snaps to zero on the tick grid. */
  PRICE_INVALID: 'PRICE_INVALID',
  /** The quantity is not a positive finite number. */
  QUANTITY_INVALID: 'QUANTITY_INVALID',
  /** Cash does not cover the order's cost plus fees (in-flight orders included). */
  INSUFFICIENT_BALANCE: 'INSUFFICIENT_BALANCE',
  /** A sell exceeds the position held and the account may not go short. */
  INSUFFICIENT_POSITION: 'INSUFFICIENT_POSITION',
  /** No market price is known yet to value a market order. */
  NO_REFERENCE_PRICE: 'NO_REFERENCE_PRICE',
  /** A reduce-only order would open or increase a position. */
  REDUCE_ONLY_WOULD_INCREASE: 'REDUCE_ONLY_WOULD_INCREASE',
  /** The order combines options that cannot go together (e.g. post-only market order). */
  INVALID_ORDER_OPTIONS: 'INVALID_ORDER_OPTIONS',
  /** The instrument is unknown to the engine. */
  UNKNOWN_INSTRUMENT: 'UNKNOWN_INSTRUMENT',
  /** A post-only order would have taken liquidity, so the venue rejected it. */
  POST_ONLY_WOULD_TAKE: 'POST_ONLY_WOULD_TAKE',
  /** A fill-or-kill order could not fill whole at once. */
  FOK_NOT_FILLABLE: 'FOK_NOT_FILLABLE',
  /** The rest of an immediate-or-cancel order was canceled. */
  IOC_REMAINDER_CANCELED: 'IOC_REMAINDER_CANCELED',
  /** The strategy or a user canceled the order. */
  CANCELED_BY_USER: 'CANCELED_BY_USER',
  /** A limit or trigger price is further from the last price than the collar allows. */
  PRICE_OUTSIDE_COLLAR: 'PRICE_OUTSIDE_COLLAR',
  /** A limit or trigger price is further from the window's low or high than the window collar allows. */
  PRICE_OUTSIDE_WINDOW_COLLAR: 'PRICE_OUTSIDE_WINDOW_COLLAR',
  /** Too many orders of one side in one instrument executed within the throttle window. */
  REPEATED_EXECUTION_THROTTLE: 'REPEATED_EXECUTION_THROTTLE',
  /** Price × quantity exceeds the largest order value. */
  ORDER_VALUE_LIMIT: 'ORDER_VALUE_LIMIT',
  /** The quantity exceeds the largest order quantity. */
  ORDER_QUANTITY_LIMIT: 'ORDER_QUANTITY_LIMIT',
  /** The position, counting every open order as filled, would exceed its limit. */
  POSITION_LIMIT: 'POSITION_LIMIT',
  /** Too many open orders. */
  OPEN_ORDERS_LIMIT: 'OPEN_ORDERS_LIMIT',
  /** Too many orders and cancels in the last second. */
  MESSAGE_THROTTLE: 'MESSAGE_THROTTLE',
  /** A live account placed its venue's new orders for the window (the venue's order rate). */
  VENUE_ORDER_RATE: 'VENUE_ORDER_RATE',
  /** Today's loss reached its limit: only orders that reduce the position may go. */
  DAILY_LOSS_LIMIT: 'DAILY_LOSS_LIMIT',
  /** The same order (side, quantity, price) was made moments ago. */
  DUPLICATE_ORDER: 'DUPLICATE_ORDER',
  /** Trading is halted (kill switch) for the account or the strategy. */
  TRADING_HALTED: 'TRADING_HALTED',
  /** Trading is REDUCING: only orders that reduce the position may go. */
  TRADING_REDUCING: 'TRADING_REDUCING',
  /** The order was still open when the data ended. */
  END_OF_DATA: 'END_OF_DATA',
  /** Committed before a crash, never sent, and not made again when its bar was replayed. */
  NOT_SENT: 'NOT_SENT',
  /** Cancel asked for an order that is not open. */
  ORDER_NOT_OPEN: 'ORDER_NOT_OPEN',
  /** The client order id breaks the venue's rule for it (denied by the gate, or rejected). */
  CLIENT_ORDER_ID_INVALID: 'CLIENT_ORDER_ID_INVALID',
} as const;

/** One of the stable reason codes. */
export type ReasonCode = (typeof Reason)[keyof typeof Reason];
