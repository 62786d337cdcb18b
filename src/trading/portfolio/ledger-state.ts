import { toDecimal, type Decimal } from '../core/decimal.js';
import type { Position } from '../model/position.js';

/** A decimal as text that reads back to the same value and sign (big.js keeps a signed zero). */
export type DecimalText = string;

/** A position as `LedgerState` keeps it. */
export interface PositionState {
  readonly instrumentId: string;
  readonly quantity: DecimalText;
  readonly lots: readonly { readonly quantity: DecimalText; readonly price: DecimalText }[];
  readonly realizedPnl: DecimalText;
  readonly fees: DecimalText;
  readonly openedAt: number | null;
}

/** An open round trip as `LedgerState` keeps it (the closed ones are not kept). */
export interface OpenTripState {
  readonly instrumentId: string;
  readonly side: 'LONG' | 'SHORT';
  readonly openedAt: number;
  readonly size: DecimalText;
  readonly maxSize: DecimalText;
  readonly entryNotional: DecimalText;
  readonly entryQuantity: DecimalText;
  readonly exitNotional: DecimalText;
  readonly exitQuantity: DecimalText;
  readonly grossPnl: DecimalText;
  readonly fees: DecimalText;
}

/**
 * A ledger's books as plain JSON (`Ledger.state`, `Ledger.restore`): what it holds after some
 * fills, so a node starts from it and the fills stored since (`docs/decisions/ledger-checkpoints.md`).
 * Cash is kept with the starting cash it was counted from, so a changed starting cash moves it by
 * the difference. Maps are lists, in the ledger's order. Closed round trips are not kept (only a
 * backtest's report reads them).
 *
 * @example
 * new Ledger({ USD: '1000' }).restore(ledger.state());
 */
export interface LedgerState {
  readonly version: 1;
  readonly cash: readonly (readonly [string, DecimalText])[];
  readonly start: readonly (readonly [string, DecimalText])[];
  readonly positions: readonly PositionState[];
  /** `undefined` (no fill yet) is absent; `null`: several owners, see `owned`. */
  readonly soleOwner?: string | null;
  readonly owned: readonly (readonly [string, readonly PositionState[]])[] | null;
  readonly openTrips: readonly OpenTripState[];
  readonly fees: DecimalText;
  readonly fills: number;
}

/** The text of a decimal; `-0` for a negative zero. */
export function decimalText(d: Decimal): DecimalText {
  return d.s < 0 && d.eq(0) ? '-0' : d.toFixed();
}

/** The decimal of `decimalText`. */
export const fromText = (t: DecimalText): Decimal => toDecimal(t);

/** A position as JSON. */
export function positionState(p: Position): PositionState {
  return {
    instrumentId: p.instrumentId,
    quantity: decimalText(p.quantity),
    lots: p.lots.map((l) => ({ quantity: decimalText(l.quantity), price: decimalText(l.price) })),
    realizedPnl: decimalText(p.realizedPnl),
    fees: decimalText(p.fees),
    openedAt: p.openedAt,
  };
}

/** The position of `positionState`. */
export function positionOf(s: PositionState): Position {
  return Object.freeze({
    instrumentId: s.instrumentId,
    quantity: fromText(s.quantity),
    lots: s.lots.map((l) => ({ quantity: fromText(l.quantity), price: fromText(l.price) })),
    realizedPnl: fromText(s.realizedPnl),
    fees: fromText(s.fees),
    openedAt: s.openedAt,
  });
}
