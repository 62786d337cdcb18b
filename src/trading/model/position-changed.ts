import type { Decimal } from '../core/decimal.js';

/**
 * Published on `events.position.<strategyId>` after a fill is booked: the strategy's own
 * position in the instrument and the account's.
 *
 * @example
 * bus.subscribe<PositionChanged>(Topics.positions('sma'), (e) => show(e.quantity));
 */
export interface PositionChanged {
  readonly kind: 'PositionChanged';
  readonly accountId: string;
  readonly strategyId: string;
  readonly instrumentId: string;
  /** The strategy's own position after the fill (signed). */
  readonly quantity: Decimal;
  /** The account's position in the instrument after the fill (signed). */
  readonly accountQuantity: Decimal;
  readonly ts: number;
}
