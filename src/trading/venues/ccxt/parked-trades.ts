import type { Trade } from 'ccxt';

/** Why a parked trade was dropped: kept `keepMs` unlinked, or the oldest over `max`. */
export type ParkedDrop = 'expired' | 'evicted';

/** Options of {@link ParkedTrades}. */
export interface ParkedTradesOptions {
  /** A trade is kept at most this long (ms) on `now`. */
  readonly keepMs: number;
  /** At most this many trades are kept; the oldest go first. */
  readonly max: number;
  readonly now: () => number;
  /** Told of each trade dropped unlinked: if its order is ours, that fill is missing. */
  readonly onDrop?: (venueOrderId: string, trade: Trade, why: ParkedDrop) => void;
}

/**
 * Our trades of venue orders whose client id does not read back yet (a hashed form after a
 * restart, `venue-client-ids.ts`), by venue order id, until the order is asked for by client id
 * and linked (`take`). Bounded: an order placed elsewhere never links, so its trades age out,
 * each told to `onDrop` (never dropped silently). Expired trades go at each `park`, `take` and
 * `sweep` (oldest first, O(1) when none is due).
 *
 * @example
 * const parked = new ParkedTrades({ keepMs: 600_000, max: 1000, now, onDrop: (id, t, why) => alert(id, t, why) });
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
    this.#drop(this.o.max - 1);
    this.#trades.set(key, { venueOrderId, trade, at: this.o.now() });
  }

  /** The trades parked for `venueOrderId`, removed (expired ones are dropped first). */
  take(venueOrderId: string): Trade[] {
    const out: Trade[] = [];
    if (this.#trades.size === 0) return out;
    this.sweep();
    for (const [k, p] of this.#trades)
      if (p.venueOrderId === venueOrderId) {
        out.push(p.trade);
        this.#trades.delete(k);
      }
    return out;
  }

  /** Drops the trades kept `keepMs` without their order linked. */
  sweep(): void {
    this.#drop(this.o.max);
  }

  get size(): number {
    return this.#trades.size;
  }

  /** Drops, oldest first, the expired trades and any beyond `room`. */
  #drop(room: number): void {
    const now = this.o.now();
    for (const [k, p] of this.#trades) {
      const expired = now - p.at >= this.o.keepMs;
      if (!expired && this.#trades.size <= room) break;
      this.#trades.delete(k);
      this.o.onDrop?.(p.venueOrderId, p.trade, expired ? 'expired' : 'evicted');
    }
  }
}
