/**
 * A map for what is open at a time (working orders, open orders, open round trips): one entry is
 * kept in fields, two or more in a `Map`, in insertion order either way (an update keeps an
 * entry's place), with `Map`'s key equality (SameValueZero). A backtest has one order open at a
 * time, so each of these maps went from one entry to none once per order: V8 shrinks a `Map` that
 * a delete empties (a runtime call and a new table), and a new empty `Map` instead was still an
 * object and a table an order each (issue 18). Iterators are of the entries as they were when
 * asked: no caller holds one across a change.
 *
 * @example
 * const open = new SmallMap<string, Order>();
 * open.set(order.clientOrderId, order);
 * open.delete(order.clientOrderId);
 */
export class SmallMap<K, V> {
  #map: Map<K, V> | null = null;
  /** The one entry when `#map` is null and `#one` is true. */
  #one = false;
  #key: K | undefined = undefined;
  #value: V | undefined = undefined;

  constructor(entries?: Iterable<readonly [K, V]>) {
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }

  get size(): number {
    return this.#map !== null ? this.#map.size : this.#one ? 1 : 0;
  }

  get(key: K): V | undefined {
    if (this.#map !== null) return this.#map.get(key);
    return this.#one && same(this.#key, key) ? this.#value : undefined;
  }

  has(key: K): boolean {
    if (this.#map !== null) return this.#map.has(key);
    return this.#one && same(this.#key, key);
  }

  set(key: K, value: V): this {
    if (this.#map !== null) this.#map.set(key, value);
    else if (!this.#one || same(this.#key, key)) {
      this.#one = true;
      // A Map keeps -0 as +0.
      this.#key = (key === 0 ? 0 : key) as K;
      this.#value = value;
    } else {
      this.#map = new Map<K, V>([[this.#key as K, this.#value as V]]).set(key, value);
      this.#clearOne();
    }
    return this;
  }

  delete(key: K): boolean {
    const map = this.#map;
    if (map !== null) {
      // Its last entry: the map is let go, not emptied (the shrink above).
      if (map.size === 1) {
        if (!map.has(key)) return false;
        this.#map = null;
        return true;
      }
      return map.delete(key);
    }
    if (!this.#one || !same(this.#key, key)) return false;
    this.#clearOne();
    return true;
  }

  /** The oldest entry's value (undefined when empty), without an iterator. */
  first(): V | undefined {
    if (this.#map === null) return this.#value;
    for (const v of this.#map.values()) return v;
    return undefined;
  }

  keys(): IterableIterator<K> {
    if (this.#map !== null) return this.#map.keys();
    return (this.#one ? [this.#key as K] : []).values();
  }

  values(): IterableIterator<V> {
    if (this.#map !== null) return this.#map.values();
    return (this.#one ? [this.#value as V] : []).values();
  }

  entries(): IterableIterator<[K, V]> {
    if (this.#map !== null) return this.#map.entries();
    return (this.#one ? [[this.#key as K, this.#value as V] as [K, V]] : []).values();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  #clearOne(): void {
    this.#one = false;
    this.#key = undefined;
    this.#value = undefined;
  }
}

/** `Map`'s key equality: SameValueZero (NaN is NaN, -0 is +0). */
function same(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}
