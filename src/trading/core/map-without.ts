/**
 * `map` without `key`: when `key` is its last entry, a new empty map instead of a delete. V8
 * shrinks a map that a delete empties (a runtime call and a new table), and a backtest, with one
 * order open at a time, emptied its working-order, open-order and round-trip maps once per order
 * (issue 18). A caller stores the map answered; none may hold an iterator of it across the call.
 *
 * @example
 * this.#open = without(this.#open, id);
 */
export function without<K, V>(map: Map<K, V>, key: K): Map<K, V> {
  // Stryker disable next-line ConditionalExpression: equivalent when forced false, a delete leaves the same (empty) map, only V8's table differs
  if (map.size === 1 && map.has(key)) return new Map();
  map.delete(key);
  return map;
}
