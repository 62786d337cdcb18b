import type { Trade } from 'ccxt';

/** Options of {@link ParkedTrades}. */
export interface ParkedTradesOptions {
  /** A trade is kept at most this long (ms) on `now`. */
  readonly keepMs: number;
  /** At most this many trades are kept; the oldest go first. */
  readonly max: number;
  readonly now: () => number;
}

/**
 * Our trades of venue orders whose client id does not read back yet (a hashed form after a
 * restart, `venue-client-ids.ts`), by venue order id, until the order is asked for by client id
 * and linked (`take`). Bounded: an order placed elsewhere never links, so its trades age out.
 *
 * @example
 * parked.park('11', trade);
 * for (const t of parked.take('11')) applyTo('sma-cross-1', t);
 */
export class ParkedTrades {
  /** Insertion order is age order: each entry is a trade id, its venue order id, when parked. */
  readonly #trades = new Map<string, { venueOrderId: string; trade: Trade; at: number }>();

  constructor(private readonly o: ParkedTradesOptions) {}

  park(venueOrderId: string, trade: Trade): void {
    const key = `${venueOrderId}:${String(trade.id)}`;
    if (this.#trades.has(key)) return;
    const now = this.o.now();
    for (const [k, p] of this.#trades) {
      if (now - p.at < this.o.keepMs && this.#trades.size < this.o.max) break;
      this.#trades.delete(k);
    }
    this.#trades.set(key, { venueOrderId, trade, at: now });
  }

  /** The trades parked for `venueOrderId`, removed. */
  take(venueOrderId: string): Trade[] {
    const out: Trade[] = [];
    if (this.#trades.size === 0) return out;
    for (const [k, p] of this.#trades)
      if (p.venueOrderId === venueOrderId) {
        out.push(p.trade);
        this.#trades.delete(k);
      }
    return out;
  }

  get size(): number {
    return this.#trades.size;
  }
}
