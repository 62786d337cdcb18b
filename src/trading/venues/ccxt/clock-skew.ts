import type { Exchange } from 'ccxt';

/** One measurement of the venue's clock against ours. */
export interface SkewSample {
  /** Venue time minus local time, ms (positive: the venue is ahead). */
  readonly offsetMs: number;
  /** Round trip of the `fetchTime` call, ms (the offset is uncertain by half of it). */
  readonly rttMs: number;
  /** The recvWindow now used, when the venue has one. */
  readonly recvWindowMs: number | null;
  readonly at: number;
}

/** Options of {@link ClockSkew}. */
export interface ClockSkewOptions {
  readonly now?: () => number;
  /** An offset beyond this is reported to `onWarn` (default 1 000 ms). */
  readonly warnMs?: number;
  /** The recvWindow to start from (default: the exchange's, Binance 10 000). */
  readonly baseRecvWindowMs?: number;
  /** The largest recvWindow the venue accepts (default 60 000: Binance's limit). */
  readonly maxRecvWindowMs?: number;
  readonly onWarn?: (message: string, sample: SkewSample) => void;
}

/**
 * Measures the venue's clock (`fetchTime`) against ours, at start and periodically, and adapts
 * instead of failing: signed requests are stamped in venue time (ccxt's `timeDifference`), and
 * the venue's `recvWindow` (where it has one, e.g. Binance) is widened by the measured offset and
 * round trip, up to the venue's maximum, so a drifting clock or a slow link does not turn into
 * timestamp refusals (Binance -1021). A large offset is reported with `onWarn`.
 *
 * @example
 * const skew = new ClockSkew(exchange, { onWarn: (m) => log.warn(m) });
 * await skew.measure();
 * skew.start(60_000);
 */
export class ClockSkew {
  readonly #now: () => number;
  readonly #base: number | null;
  #last: SkewSample | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #running: Promise<SkewSample> | null = null;
  readonly #followers = new Set<Exchange>();

  constructor(
    private readonly exchange: Exchange,
    private readonly options: ClockSkewOptions = {},
  ) {
    this.#now = options.now ?? (() => Date.now());
    const rw = (exchange.options as Record<string, unknown>).recvWindow;
    this.#base = options.baseRecvWindowMs ?? (typeof rw === 'number' ? rw : null);
  }

  /**
   * Stamps `other`'s requests with the same offset and recvWindow from now on (another connection
   * to the same venue: a key's own); answers the stop.
   */
  follow(other: Exchange): () => void {
    this.#followers.add(other);
    if (this.#last) this.#apply(other, this.#last);
    return () => void this.#followers.delete(other);
  }

  /** The last measurement, if any. */
  get last(): SkewSample | null {
    return this.#last;
  }

  /** Measures once (concurrent calls share one measurement) and applies the result. */
  measure(): Promise<SkewSample> {
    this.#running ??= this.#measure().finally(() => (this.#running = null));
    return this.#running;
  }

  /** Measures every `intervalMs` until `stop()`; failures go to `onError`. */
  start(intervalMs: number, onError: (error: unknown) => void = () => undefined): void {
    this.stop();
    this.#timer = setInterval(() => void this.measure().catch(onError), intervalMs);
    this.#timer.unref?.();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #apply(exchange: Exchange, sample: SkewSample): void {
    const opts = exchange.options as Record<string, unknown>;
    // ccxt stamps signed requests with local time minus timeDifference.
    opts.timeDifference = -sample.offsetMs;
    if (sample.recvWindowMs !== null) opts.recvWindow = sample.recvWindowMs;
  }

  async #measure(): Promise<SkewSample> {
    const t0 = this.#now();
    const venue = await this.exchange.fetchTime();
    const t1 = this.#now();
    if (typeof venue !== 'number' || !Number.isFinite(venue))
      throw new Error(`${this.exchange.id}: fetchTime gave no time`);
    const rttMs = t1 - t0;
    const offsetMs = Math.round(venue - (t0 + t1) / 2);
    let recvWindowMs: number | null = null;
    if (this.#base !== null) {
      const max = this.options.maxRecvWindowMs ?? 60_000;
      recvWindowMs = Math.min(max, Math.max(this.#base, this.#base + Math.abs(offsetMs) + rttMs));
    }
    const sample: SkewSample = { offsetMs, rttMs, recvWindowMs, at: t1 };
    for (const ex of [this.exchange, ...this.#followers]) this.#apply(ex, sample);
    this.#last = sample;
    if (Math.abs(offsetMs) > (this.options.warnMs ?? 1000))
      this.options.onWarn?.(
        `${this.exchange.id}: clock is ${Math.abs(offsetMs)} ms ${offsetMs > 0 ? 'behind' : 'ahead of'} the venue (round trip ${rttMs} ms); requests are stamped in venue time${recvWindowMs !== null ? `, recvWindow ${recvWindowMs} ms` : ''}`,
        sample,
      );
    return sample;
  }
}
