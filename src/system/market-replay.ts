import { setTimeout as sleep } from 'node:timers/promises';
import type { Bar } from '../trading/data/market-data.js';
import { openBars } from '../trading/venues/replay/open-data.js';

/** How many recent bars a replay keeps for `recent` (`GET /candles`). */
export const RECENT_BARS = 1000;

/**
 * A market-data file played as a live feed: each bar is delivered after its duration divided by
 * `speed` (0: at once), to one handler (the trading core) and then to any subscribers. The last
 * `RECENT_BARS` bars are kept in a ring buffer for `recent`.
 *
 * @example
 * const replay = new MarketReplay(file, 'BTC/USDT', 60, (bar) => core.onBar(bar));
 * void replay.run(signal);
 */
export class MarketReplay {
  readonly #listeners = new Set<(bar: Bar) => void>();
  readonly #ring: Bar[] = [];
  /** Bars played so far; the next bar goes to `#ring[#count % RECENT_BARS]`. */
  #count = 0;

  constructor(
    private readonly file: string,
    private readonly instrumentId: string,
    private readonly speed: number,
    private readonly handle: (bar: Bar) => Promise<void>,
  ) {}

  subscribe(fn: (bar: Bar) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** The last `limit` bars played (at most `RECENT_BARS`), oldest first. */
  recent(limit: number): Bar[] {
    const n = Math.max(0, Math.min(limit, this.#ring.length));
    const out: Bar[] = [];
    for (let i = this.#count - n; i < this.#count; i++) out.push(this.#ring[i % RECENT_BARS]!);
    return out;
  }

  /** Plays the file to its end, or until `signal` aborts. */
  async run(signal: AbortSignal): Promise<number> {
    let played = 0;
    for await (const batch of openBars(this.file, { instrumentId: this.instrumentId })) {
      for (const bar of batch) {
        if (signal.aborted) return played;
        if (this.speed > 0) {
          await sleep((bar.closeTime - bar.openTime) / this.speed, undefined, { signal }).catch(
            () => undefined,
          );
          if (signal.aborted) return played;
        }
        await this.handle(bar);
        this.#ring[this.#count++ % RECENT_BARS] = bar;
        for (const fn of this.#listeners) fn(bar);
        played++;
      }
    }
    return played;
  }
}
