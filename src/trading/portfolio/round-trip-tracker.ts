import { ZERO, type Decimal } from '../core/decimal.js';
import { SmallMap } from '../core/small-map.js';
import {
  addDecimals,
  compareDecimals,
  decimalPlaces,
  divide,
  fromScaled,
  largerDecimal,
  multiplyDecimals,
  scaledInteger,
  signOf,
  smallerDecimal,
  subtractDecimals,
} from '../core/scaled-decimal.js';
import type { Fill } from '../model/fill.js';
import type { PositionChange } from '../model/position.js';
import { decimalText, fromText, type OpenTripState } from './ledger-state.js';

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

/**
 * A closed trip as the tracker keeps it until the report reads it. Its fees and gross PnL are
 * sums made for this trip alone (the other values are the fills' own, shared), so each is kept
 * as an integer count of its last decimal place with that place when it is not zero and fits 15
 * digits, else as the decimal; reading one makes the same decimal again (`fromScaled`: the same
 * digits, exponent and sign). A backtest keeps every trip to its end: a number of 8 bytes or less
 * where a decimal is ~150.
 */
class ClosedTrip implements ClosedRoundTrip {
  readonly #feesUnits: number;
  readonly #feesScale: number;
  readonly #feesDecimal: Decimal | null;
  readonly #pnlUnits: number;
  readonly #pnlScale: number;
  readonly #pnlDecimal: Decimal | null;

  constructor(
    readonly instrumentId: string,
    readonly side: 'LONG' | 'SHORT',
    readonly openedAt: number,
    readonly closedAt: number,
    readonly quantity: Decimal,
    readonly entryNotional: Decimal,
    readonly entryQuantity: Decimal,
    readonly exitNotional: Decimal,
    readonly exitQuantity: Decimal,
    grossPnl: Decimal,
    fees: Decimal,
  ) {
    // (0 where the decimal is kept: a small integer in every trip's field, never a boxed NaN)
    this.#pnlScale = decimalPlaces(grossPnl);
    const pnl = unitsOf(grossPnl, this.#pnlScale);
    this.#pnlUnits = Number.isNaN(pnl) ? 0 : pnl;
    this.#pnlDecimal = Number.isNaN(pnl) ? grossPnl : null;
    this.#feesScale = decimalPlaces(fees);
    const fee = unitsOf(fees, this.#feesScale);
    this.#feesUnits = Number.isNaN(fee) ? 0 : fee;
    this.#feesDecimal = Number.isNaN(fee) ? fees : null;
  }

  get grossPnl(): Decimal {
    return this.#pnlDecimal ?? fromScaled(this.#pnlUnits, this.#pnlScale);
  }

  get fees(): Decimal {
    return this.#feesDecimal ?? fromScaled(this.#feesUnits, this.#feesScale);
  }
}

/** `d × 10^scale` as a safe integer when `d` is not zero and that fits 15 digits, else NaN. */
function unitsOf(d: Decimal, scale: number): number {
  // A zero keeps its decimal: its sign is big.js's, and fromScaled makes only +0.
  return signOf(d) === 0 ? Number.NaN : scaledInteger(d, scale);
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
 * next with the remainder; its fee is split pro rata by quantity. Closed trips are kept in
 * `closed` only when `keepClosed` (a backtest's report); else only the open ones are held.
 *
 * @example
 * const tracker = new RoundTripTracker(true);
 * tracker.onFill(fill, applyFill(position, fill));
 */
export class RoundTripTracker {
  readonly closed: ClosedRoundTrip[] = [];
  readonly #open = new SmallMap<string, OpenTrip>();

  constructor(private readonly keepClosed: boolean) {}

  /** The open trips as JSON, in order (`LedgerState`). */
  openState(): OpenTripState[] {
    return [...this.#open.entries()].map(([instrumentId, t]) => ({
      instrumentId,
      side: t.side,
      openedAt: t.openedAt,
      size: decimalText(t.size),
      maxSize: decimalText(t.maxSize),
      entryNotional: decimalText(t.entryNotional),
      entryQuantity: decimalText(t.entryQuantity),
      exitNotional: decimalText(t.exitNotional),
      exitQuantity: decimalText(t.exitQuantity),
      grossPnl: decimalText(t.grossPnl),
      fees: decimalText(t.fees),
    }));
  }

  /** Takes back the open trips of `openState` (on a tracker that has none). */
  restoreOpen(trips: readonly OpenTripState[]): void {
    for (const t of trips)
      this.#open.set(t.instrumentId, {
        side: t.side,
        openedAt: t.openedAt,
        size: fromText(t.size),
        maxSize: fromText(t.maxSize),
        entryNotional: fromText(t.entryNotional),
        entryQuantity: fromText(t.entryQuantity),
        exitNotional: fromText(t.exitNotional),
        exitQuantity: fromText(t.exitQuantity),
        grossPnl: fromText(t.grossPnl),
        fees: fromText(t.fees),
      });
  }

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
      if (this.keepClosed)
        this.closed.push(
          new ClosedTrip(
            id,
            trip.side,
            trip.openedAt,
            fill.ts,
            trip.maxSize,
            trip.entryNotional,
            trip.entryQuantity,
            trip.exitNotional,
            trip.exitQuantity,
            trip.grossPnl,
            trip.fees,
          ),
        );
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
