import { toDecimal, ZERO, type Decimal, type DecimalInput } from '../core/decimal.js';
import type { Price, Quantity } from '../core/money.js';
import { Reason } from '../core/reason-codes.js';
import { signOf } from '../core/scaled-decimal.js';
import type { Instrument } from '../model/instrument.js';
import { initOrder, type Order } from '../model/order.js';
import { snapPrice, snapQuantity } from '../model/snap.js';
import type { Denial } from '../risk/pre-trade-check.js';
import type { OrderRequest } from './order-request.js';

/** A made order, and a denial when the request could not become a valid order. */
export interface MadeOrder {
  readonly order: Order;
  readonly denial: Denial | null;
}

/**
 * The last string parsed and its positive decimal: a strategy passes the same size (a decimal
 * parameter, a string) to every order, and a decimal is immutable, so it is parsed once.
 */
let lastText: string | null = null;
let lastParsed: Decimal = ZERO;

function parse(x: DecimalInput | undefined): Decimal | null | 'invalid' {
  if (x === undefined) return null;
  // Stryker disable next-line ConditionalExpression: equivalent, the cache only saves a parse (and a value equal to the last text is a string)
  if (typeof x === 'string' && x === lastText) return lastParsed;
  try {
    const d = toDecimal(x);
    if (signOf(d) <= 0) return 'invalid';
    // Stryker disable next-line ConditionalExpression,BlockStatement,StringLiteral: equivalent, the cache only saves a parse
    if (typeof x === 'string') {
      lastText = x;
      lastParsed = d;
    }
    return d;
  } catch {
    return 'invalid';
  }
}

/**
 * Makes an INITIALIZED order from a request: quantity snapped down to the lot, a buy limit down
 * and a sell limit up to the tick, a trigger to the nearest tick. Input that is not a positive
 * number yields the order with a denial (QUANTITY_INVALID / PRICE_INVALID) instead of a throw.
 *
 * @example
 * const { order, denial } = makeOrder(req, instrument, { clientOrderId: 'sma-1', accountId: 'paper', strategyId: 'sma', ts });
 */
export function makeOrder(
  req: OrderRequest,
  inst: Instrument,
  ids: {
    readonly clientOrderId: string;
    readonly accountId: string;
    readonly strategyId: string;
    readonly ts: number;
  },
): MadeOrder {
  const type = req.type ?? (req.price !== undefined ? 'LIMIT' : 'MARKET');
  const q = parse(req.quantity);
  const p = parse(req.price);
  const t = parse(req.triggerPrice);
  const priceMode = req.side === 'BUY' ? 'down' : 'up';
  const order = initOrder({
    clientOrderId: ids.clientOrderId,
    accountId: ids.accountId,
    strategyId: ids.strategyId,
    instrumentId: inst.id,
    side: req.side,
    type,
    timeInForce: req.timeInForce ?? 'GTC',
    quantity: q === null || q === 'invalid' ? (ZERO as Quantity) : snapQuantity(q, inst.lotSize),
    price:
      p === null || p === 'invalid'
        ? p === 'invalid'
          ? (ZERO as Price)
          : null
        : snapPrice(p, inst.tickSize, priceMode),
    triggerPrice:
      t === null || t === 'invalid'
        ? t === 'invalid'
          ? (ZERO as Price)
          : null
        : snapPrice(t, inst.tickSize, 'nearest'),
    postOnly: req.postOnly ?? false,
    reduceOnly: req.reduceOnly ?? false,
    createdAt: ids.ts,
    tag: req.tag ?? null,
  });
  let denial: Denial | null = null;
  if (q === null || q === 'invalid') {
    denial = {
      reason: Reason.QUANTITY_INVALID,
      message: `quantity must be a positive number, was ${JSON.stringify(String(req.quantity))}`,
    };
  } else if (p === 'invalid' || t === 'invalid') {
    denial = {
      reason: Reason.PRICE_INVALID,
      message: 'price and trigger price must be positive numbers',
    };
  } else if ((type === 'MARKET' || type === 'STOP_MARKET') && p !== null) {
    denial = {
      reason: Reason.INVALID_ORDER_OPTIONS,
      message: `a ${type} order takes no limit price`,
    };
  } else if ((type === 'MARKET' || type === 'LIMIT') && t !== null) {
    denial = {
      reason: Reason.INVALID_ORDER_OPTIONS,
      message: `a ${type} order takes no trigger price`,
    };
  }
  return { order, denial };
}
