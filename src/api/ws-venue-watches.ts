import type { Payload } from '../scalability/bus/event-log.js';
import { KairosError } from '../trading/core/errors.js';
import type { Channel, MarketChannel } from './ws-channels.js';
import type { VenueMarketStreams } from './ws-gateway-options.js';
import type { InstrumentKey } from './ws-instruments.js';
import { marketFrame } from './ws-market-frames.js';

/** The most venue streams (kind and symbol) the clients of one instance keep subscribed. */
export const MAX_VENUE_STREAMS = 300;

/** What the venue streams work with. */
export interface VenueWatchesOptions {
  /** The venues' streams (undefined: none; no venue channel is ever acquired then). */
  readonly market: VenueMarketStreams | undefined;
  /** Appends a frame to the log (`FrameLog.append`). */
  append(channel: string, k: Channel, u: string | null, frame: Payload, once?: string): void;
  /** Wall-clock ms (a frame's `sentAt`). */
  now(): number;
}

/**
 * The venue streams the clients of this instance want, counted: subscribed at the venue at the
 * first client, released after the last. Each instance that has clients of a stream appends
 * its items with their venue key as `once`, so the log holds each once.
 *
 * @example
 * const watches = new VenueWatches({ market, append, now });
 * await watches.acquire('trades', { key: 'binance:BTC/USDT', venue: 'binance', symbol: 'BTC/USDT' }, ch);
 * watches.release(ch);
 */
export class VenueWatches {
  readonly #opts: VenueWatchesOptions;
  readonly #watches = new Map<string, { count: number; release: Promise<() => void> }>();
  /** The venue instrument of each log channel ever acquired (`ws:<kind>:<venue>:<symbol>`). */
  readonly #keys = new Map<string, InstrumentKey>();

  constructor(opts: VenueWatchesOptions) {
    this.#opts = opts;
  }

  /** Whether a log channel is a venue's (`ws:<kind>:<venue>:<symbol>`), not the replay's. */
  isVenue(ch: string): boolean {
    return this.#keys.has(ch);
  }

  /** The venue instrument of log channel `ch` (undefined: the replay's, or none). */
  keyOf(ch: string): InstrumentKey | undefined {
    return this.#keys.get(ch);
  }

  /**
   * One more client of venue stream `kind` of `k` (log channel `ch`): subscribed at the venue at
   * the first. Throws `WS_STREAM_LIMIT` past `MAX_VENUE_STREAMS`, or what the venue threw.
   */
  async acquire(kind: MarketChannel, k: InstrumentKey, ch: string): Promise<void> {
    this.#keys.set(ch, k);
    const watches = this.#watches;
    const w = watches.get(ch);
    if (w) {
      w.count++;
      await w.release;
      return;
    }
    // Each venue stream is a connection to the venue: the clients of one instance open a bounded
    // number of them, whatever they ask for.
    if (watches.size >= MAX_VENUE_STREAMS)
      throw new KairosError(
        'WS_STREAM_LIMIT',
        `${k.key}: this server already streams ${MAX_VENUE_STREAMS} venue streams to its clients; unsubscribe some first`,
      );
    const venue = k.venue!;
    const entry = {
      count: 1,
      release: this.#opts.market!.watch(kind, venue, k.symbol, (item) => {
        const [frame, once] = marketFrame(kind, venue, item, this.#opts.now());
        this.#opts.append(ch, kind, null, frame, once);
      }),
    };
    watches.set(ch, entry);
    try {
      await entry.release;
    } catch (e) {
      if (watches.get(ch) === entry) watches.delete(ch);
      throw e;
    }
  }

  /** One client fewer of the venue stream of `ch`: released at the venue after the last. */
  release(ch: string): void {
    const w = this.#watches.get(ch);
    if (!w || --w.count > 0) return;
    this.#watches.delete(ch);
    void w.release.then((off) => off()).catch(() => undefined);
  }

  /** Releases every stream at the venue (the gateway is closing). */
  releaseAll(): void {
    for (const w of this.#watches.values())
      void w.release.then((off) => off()).catch(() => undefined);
    this.#watches.clear();
  }
}
