import { ZERO, type Decimal } from '../core/decimal.js';
import {
  absDecimal,
  addDecimals,
  multiplyDecimals,
  negateDecimal,
  signOf,
  smallerDecimal,
  subtractDecimals,
} from '../core/scaled-decimal.js';
import type { Fill } from './fill.js';

/** One open lot: a signed quantity (negative for short) bought or sold at one price. */
export interface Lot {
  readonly quantity: Decimal;
  readonly price: Decimal;
}

/**
 * A net position in one instrument, kept as FIFO lots so realized and unrealized PnL are exact
 * (an average price would need division). `quantity` is signed: > 0 long, < 0 short.
 *
 * @example
 * let p = flatPosition('ORCL');
 * p = applyFill(p, fill).position;
 */
export interface Position {
  readonly instrumentId: string;
  readonly quantity: Decimal;
  readonly lots: readonly Lot[];
  /** Realized PnL before fees, since the position was created. */
  readonly realizedPnl: Decimal;
  /** Fees paid on this instrument's fills. */
  readonly fees: Decimal;
  /** Time of the fill that opened the current non-flat position, else null. */
  readonly openedAt: number | null;
}

/** The result of applying one fill. */
export interface PositionChange {
  readonly position: Position;
  /** PnL realized by this fill, before fees. */
  readonly realized: Decimal;
  /** True when this fill brought the position to flat or across zero. */
  readonly closed: boolean;
}

/**
 * A flat position.
 *
 * @example
 * flatPosition('BTC/USDT').quantity.eq(0); // true
 */
export function flatPosition(instrumentId: string): Position {
  return Object.freeze({
    instrumentId,
    quantity: ZERO,
    lots: [],
    realizedPnl: ZERO,
    fees: ZERO,
    openedAt: null,
  });
}

/**
 * Applies a fill: closes opposite lots first in, then opens a lot with any remainder.
 *
 * @example
 * const { position, realized } = applyFill(flatPosition('ORCL'), buyFill);
 */
export function applyFill(pos: Position, fill: Fill): PositionChange {
  const signed = fill.side === 'BUY' ? fill.quantity : negateDecimal(fill.quantity);
  let remaining = signed;
  let realized = ZERO;
  const lots: Lot[] = [];
  for (const lot of pos.lots) {
    // The fill is used up: the rest of the lots stay as they are.
    // Stryker disable next-line ConditionalExpression,BlockStatement: equivalent, a used-up fill closes 0 of a lot below and keeps it as it is (this only saves the work)
    if (signOf(remaining) === 0) {
      lots.push(lot);
      continue;
    }
    if (lot.quantity.s === remaining.s) {
      lots.push(lot);
      continue;
    }
    // Opposite sign: this fill closes (part of) the lot.
    // (magnitudes and negations share the digits: big.js's abs and neg copy them)
    const lotQty = absDecimal(lot.quantity);
    const remainingQty = absDecimal(remaining);
    const closeQty = smallerDecimal(lotQty, remainingQty);
    // Stryker disable next-line EqualityOperator: equivalent, a lot is never 0 (a closed lot is dropped)
    const direction = signOf(lot.quantity) > 0 ? 1 : -1;
    // × direction as a negation: big.js's × 1 and × -1 give the same value and sign of zero as
    // the value itself and its negation, without parsing the number each time.
    const gain = multiplyDecimals(subtractDecimals(fill.price, lot.price), closeQty);
    realized = addDecimals(realized, direction === 1 ? gain : negateDecimal(gain));
    const closed = direction === 1 ? closeQty : negateDecimal(closeQty);
    const left = subtractDecimals(lot.quantity, closed);
    remaining = addDecimals(remaining, closed);
    if (signOf(left) !== 0) lots.push({ quantity: left, price: lot.price });
  }
  if (signOf(remaining) !== 0) lots.push({ quantity: remaining, price: fill.price });
  const quantity = addDecimals(pos.quantity, signed);
  const wasFlat = signOf(pos.quantity) === 0;
  const crossed = !wasFlat && (signOf(quantity) === 0 || quantity.s !== pos.quantity.s);
  const position: Position = Object.freeze({
    instrumentId: pos.instrumentId,
    quantity,
    lots,
    realizedPnl: addDecimals(pos.realizedPnl, realized),
    fees: addDecimals(pos.fees, fill.fee.amount),
    openedAt: signOf(quantity) === 0 ? null : wasFlat || crossed ? fill.ts : pos.openedAt,
  });
  return { position, realized, closed: crossed };
}

/**
 * Unrealized PnL of the open lots marked at `mark`, before fees.
 *
 * @example
 * unrealizedPnl(position, Dec('101.5')).toFixed();
 */
export function unrealizedPnl(pos: Position, mark: Decimal): Decimal {
  let total = ZERO;
  for (const lot of pos.lots) total = total.plus(mark.minus(lot.price).times(lot.quantity));
  return total;
}

/**
 * Cost of the open lots (signed quantity × entry price); the average entry is cost / quantity.
 *
 * @example
 * openCost(position).toFixed();
 */
export function openCost(pos: Position): Decimal {
  let total = ZERO;
  for (const lot of pos.lots) total = total.plus(lot.price.times(lot.quantity));
  return total;
}
