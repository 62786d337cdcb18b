import type { Order } from './order.js';

/**
 * Whether two orders are the same decision: instrument, side, type, time in force, quantity,
 * prices and flags (not their ids, times or state). A replayed bar's order made again, and an
 * API retry under the same Idempotency-Key, must be the order first made.
 *
 * @example
 * sameDecision(stored, madeAgain); // false when the retry asked for another quantity
 */
export function sameDecision(a: Order, b: Order): boolean {
  const eq = (x: { eq(y: never): boolean } | null, y: unknown) =>
    x === null ? y === null : y !== null && x.eq(y as never);
  return (
    a.instrumentId === b.instrumentId &&
    a.side === b.side &&
    a.type === b.type &&
    a.timeInForce === b.timeInForce &&
    a.postOnly === b.postOnly &&
    a.reduceOnly === b.reduceOnly &&
    a.quantity.eq(b.quantity) &&
    eq(a.price, b.price) &&
    eq(a.triggerPrice, b.triggerPrice)
  );
}

/** An order's decision in a few words: `BUY 0.5 LIMIT @ 100`. */
export function describeDecision(o: Order): string {
  return `${o.side} ${o.quantity.toFixed()} ${o.type}${o.price ? ` @ ${o.price.toFixed()}` : ''}${o.triggerPrice ? ` trigger ${o.triggerPrice.toFixed()}` : ''}`;
}
