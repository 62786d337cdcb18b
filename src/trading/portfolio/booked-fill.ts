import { money, quantity } from '../core/money.js';
import { signOf } from '../core/scaled-decimal.js';
import type { Fill } from '../model/fill.js';
import type { Instrument } from '../model/instrument.js';

/** What the ledger needs to know of a fill's instrument: the currencies it trades. */
export type FillCurrencies = Pick<Instrument, 'base' | 'quote'>;

/**
 * The fill as the position books it. A fee in the instrument's base currency (Binance charges a
 * buy's commission in the asset received) is base the account never gets (buy) or gives up on
 * top (sell): the position moves by the base received minus the base given, and the fee is
 * valued at the fill price in the quote currency. Quote cash still moves by the fill's own
 * notional, so `price × bookedQuantity ± fee value` is exactly that notional. Any other fee
 * currency leaves the fill as it is.
 *
 * @example
 * // BUY 1 @ 100, fee 0.001 BTC → BUY 0.999 @ 100, fee 0.1 USDT
 * bookedFill(fill, { base: 'BTC', quote: 'USDT' });
 */
export function bookedFill(fill: Fill, currencies: FillCurrencies): Fill {
  const { base, quote } = currencies;
  if (fill.fee.currency !== base || base === quote) return fill;
  const signed = (fill.side === 'BUY' ? fill.quantity : fill.quantity.neg()).minus(fill.fee.amount);
  return {
    ...fill,
    // A fee larger than a buy (never seen at a venue) would make it a net sale: still exact.
    // Stryker disable next-line EqualityOperator: equivalent, a net zero fill (a base fee as large as its buy) moves nothing whichever side it has
    side: signOf(signed) < 0 ? 'SELL' : 'BUY',
    quantity: quantity(signed.abs()),
    fee: money(fill.fee.amount.times(fill.price), quote),
  };
}
