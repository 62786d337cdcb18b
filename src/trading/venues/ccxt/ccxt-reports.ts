import type { Order as CcxtOrder, Trade } from 'ccxt';
import { toDecimal, ZERO, type Decimal } from '../../core/decimal.js';
import { money, price, quantity } from '../../core/money.js';
import type { VenueOrderReport } from '../../execution/venue-queries.js';
import type { Fill } from '../../model/fill.js';
import type { OrderSide } from '../../model/order-types.js';

/** ccxt's numbers as exact decimals (through their shortest round-trip text). */
export function dec(x: unknown): Decimal {
  return typeof x === 'number' && Number.isFinite(x)
    ? toDecimal(x)
    : typeof x === 'string' && x !== ''
      ? toDecimal(x)
      : ZERO;
}

/** BUY / SELL from ccxt's `buy` / `sell`; null for anything else. */
export function sideOf(x: unknown): OrderSide | null {
  return x === 'buy' ? 'BUY' : x === 'sell' ? 'SELL' : null;
}

/** A venue order's status as reconciliation reads it. */
export function reportStatus(o: CcxtOrder): VenueOrderReport['status'] {
  switch (o.status) {
    case 'closed':
      return 'FILLED';
    case 'canceled':
    case 'cancelled':
      return 'CANCELED';
    case 'expired':
      return 'EXPIRED';
    case 'rejected':
      return 'REJECTED';
    default:
      // open, canceling (a cancel not yet done) and anything new still works at the venue.
      return 'OPEN';
  }
}

/**
 * The report of a ccxt order; `clientOrderId` is the one asked for when the venue omits it.
 *
 * @example
 * const report = venueReport(await exchange.fetchOrder('', 'BTC/USDT', { clientOrderId: id }), id);
 */
export function venueReport(o: CcxtOrder, clientOrderId: string): VenueOrderReport {
  const status = reportStatus(o);
  return {
    clientOrderId: o.clientOrderId ?? clientOrderId,
    venueOrderId: String(o.id ?? ''),
    status,
    filledQuantity: dec(o.filled),
    reason: status === 'OPEN' || status === 'FILLED' ? null : `${status}_AT_VENUE`,
  };
}

/**
 * A Fill from a ccxt trade, or null when the trade lacks what a fill needs (an id, a price, an
 * amount). Side and time fall back to the order's (ccxt leaves them out of the fills inside an
 * order answer). A fee in another currency than the quote keeps its currency (Binance charges a
 * buy's commission in the base asset).
 *
 * @example
 * const fill = fillFromTrade(trade, { venue: 'binance', accountId: 'main', clientOrderId: 'sma-1', instrumentId: 'BTC/USDT', side: 'BUY', quote: 'USDT', ts });
 */
export function fillFromTrade(
  t: Trade,
  ctx: {
    readonly venue: string;
    readonly accountId: string;
    readonly clientOrderId: string;
    readonly instrumentId: string;
    readonly side: OrderSide;
    readonly quote: string;
    readonly ts: number;
  },
): Fill | null {
  if (t.id === undefined || t.id === null || t.id === '') return null;
  const qty = dec(t.amount);
  const px = dec(t.price);
  if (qty.lte(0) || px.lte(0)) return null;
  const feeCost = t.fee?.cost;
  return {
    venue: ctx.venue,
    tradeId: String(t.id),
    accountId: ctx.accountId,
    clientOrderId: ctx.clientOrderId,
    instrumentId: ctx.instrumentId,
    side: sideOf(t.side) ?? ctx.side,
    price: price(px),
    quantity: quantity(qty),
    fee: money(dec(feeCost), t.fee?.currency ?? ctx.quote),
    liquidity: t.takerOrMaker === 'maker' ? 'MAKER' : 'TAKER',
    ts: typeof t.timestamp === 'number' ? t.timestamp : ctx.ts,
  };
}
