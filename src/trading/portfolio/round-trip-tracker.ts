import { ZERO, type Decimal } from '../core/decimal.js';
import {
  addDecimals,
  compareDecimals,
  divide,
  largerDecimal,
  multiplyDecimals,
  signOf,
  smallerDecimal,
  subtractDecimals,
} from '../core/scaled-decimal.js';
import type { Fill } from '../model/fill.js';
import type { PositionChange } from '../model/position.js';

/** A position opened from flat and closed back to flat (or flipped). Values are exact. */
export interface ClosedRoundTrip {
  readonly instrumentId: string;
  readonly side: 'LONG' | 'SHORT';
  readonly openedAt: number;
  readonly closedAt: number;
  /** The largest absolute size the position reached. */
  readonly quantity: Decimal;
  /** Σ price × quantity of the fills that opened or added to it, and their quantity. */
  readonly entryNotional: Decimal;
  readonly entryQuantity: Decimal;
  readonly exitNotional: Decimal;
  readonly exitQuantity: Decimal;
  /** Realized PnL before fees. */
  readonly grossPnl: Decimal;
  readonly fees: Decimal;
}

interface OpenTrip {
  side: 'LONG' | 'SHORT';
  openedAt: number;
  size: Decimal;
  maxSize: Decimal;
  entryNotional: Decimal;
  entryQuantity: Decimal;
  exitNotional: Decimal;
  exitQuantity: Decimal;
  grossPnl: Decimal;
  fees: Decimal;
}

/**
 * Groups fills into round trips. A fill that flips a position closes one trip and opens the
 * next with the remainder; its fee is split pro rata by quantity.
 *
 * @example
 * tracker.onFill(fill, applyFill(position, fill));
 */
export class RoundTripTracker {
  readonly closed: ClosedRoundTrip[] = [];
  readonly #open = new Map<string, OpenTrip>();

  onFill(fill: Fill, change: PositionChange): void {
    const id = fill.instrumentId;
    const signedAfter = change.position.quantity;
    const trip = this.#open.get(id);
    let qty: Decimal = fill.quantity;
    let fee = fill.fee.amount;
    if (trip) {
      const closing = (trip.side === 'LONG') === (fill.side === 'SELL');
      if (!closing) {
        trip.size = addDecimals(trip.size, qty);
        trip.maxSize = largerDecimal(trip.size, trip.maxSize);
        trip.entryNotional = addDecimals(trip.entryNotional, multiplyDecimals(fill.price, qty));
        trip.entryQuantity = addDecimals(trip.entryQuantity, qty);
        trip.fees = addDecimals(trip.fees, fee);
        return;
      }
      const closeQty = smallerDecimal(trip.size, qty);
      const closeFee =
        compareDecimals(closeQty, qty) === 0 ? fee : divide(multiplyDecimals(fee, closeQty), qty);
      trip.size = subtractDecimals(trip.size, closeQty);
      trip.exitNotional = addDecimals(trip.exitNotional, multiplyDecimals(fill.price, closeQty));
      trip.exitQuantity = addDecimals(trip.exitQuantity, closeQty);
      trip.grossPnl = addDecimals(trip.grossPnl, change.realized);
      trip.fees = addDecimals(trip.fees, closeFee);
      qty = subtractDecimals(qty, closeQty);
      fee = subtractDecimals(fee, closeFee);
      if (signOf(trip.size) !== 0) return;
      this.closed.push({
        instrumentId: id,
        side: trip.side,
        openedAt: trip.openedAt,
        closedAt: fill.ts,
        quantity: trip.maxSize,
        entryNotional: trip.entryNotional,
        entryQuantity: trip.entryQuantity,
        exitNotional: trip.exitNotional,
        exitQuantity: trip.exitQuantity,
        grossPnl: trip.grossPnl,
        fees: trip.fees,
      });
      this.#open.delete(id);
    }
    // Nothing left to open (also: a base fee as large as its buy leaves nothing to hold).
    if (signOf(qty) === 0) return;
    this.#open.set(id, {
      // Stryker disable next-line EqualityOperator: equivalent, base is left to open only when the position is not flat after the fill
      side: signOf(signedAfter) > 0 ? 'LONG' : 'SHORT',
      openedAt: fill.ts,
      size: qty,
      maxSize: qty,
      entryNotional: multiplyDecimals(fill.price, qty),
      entryQuantity: qty,
      exitNotional: ZERO,
      exitQuantity: ZERO,
      grossPnl: ZERO,
      fees: fee,
    });
  }
}
