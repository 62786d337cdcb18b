/** Venues accept at most 36 characters from this set for a client order id (Binance's rule). */
const MAX_LENGTH = 36;
const UNSAFE = /[^A-Za-z0-9_-]/g;

/**
 * Makes deterministic, venue-valid client order ids: `<strategy tag>-<sequence>`. The tag is the
 * strategy id with unsafe characters replaced and cut so the whole id fits 36 characters.
 *
 * @example
 * const ids = new ClientOrderIds('sma cross');
 * ids.next(); // 'sma_cross-1'
 */
export class ClientOrderIds {
  /** `<tag>-`, made once. */
  readonly #prefix: string;
  #seq: number;

  constructor(strategyId: string, start = 0) {
    this.#prefix = `${ClientOrderIds.tagOf(strategyId)}-`;
    this.#seq = start;
  }

  /** The tag the ids of a strategy id start with (`<tag>-<sequence>`). */
  static tagOf(strategyId: string): string {
    return strategyId.replace(UNSAFE, '_').slice(0, MAX_LENGTH - 13) || 'S';
  }

  /**
   * The sequence number an id of this form ends with (`<tag>-<n>`: `n`), 0 for an id without one
   * (a trader's, a venue's).
   *
   * @example
   * ClientOrderIds.sequenceOf('sma_cross-12'); // 12
   */
  static sequenceOf(clientOrderId: string): number {
    return Number(/-(\d+)$/.exec(clientOrderId)?.[1] ?? 0);
  }

  /** The next id. */
  next(): string {
    this.#seq += 1;
    // Joined, not a template: V8 makes a string of 13 characters or more by `+` as a pair of
    // its parts (a cons string, ~3 objects), which every order, fill and map key then keeps,
    // and whose hash and comparisons walk both parts; a join makes one flat string.
    return [this.#prefix, this.#seq].join('');
  }

  /** How many ids were made. */
  get count(): number {
    return this.#seq;
  }
}
