import type { Exchange, Ticker } from 'ccxt';
import type { BookTop } from '../../data/market-data.js';
import { WatchLoop } from './watch-loop.js';

/** Options of {@link CcxtBookTop}. */
export interface CcxtBookTopOptions {
  /** A ccxt.pro exchange. Closed by `stop()`. */
  readonly exchange: Exchange;
  readonly symbol: string;
  /** Each new top of the book (an update that changes nothing is not told). */
  readonly onTop: (top: BookTop) => void;
  readonly now?: () => number;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly onLog?: (line: string) => void;
}

/**
 * The best bid and ask of one symbol from a ccxt venue: `watchBidsAsks` (Binance's
 * `<symbol>@bookTicker`) where the venue has it, else `watchTicker`'s bid and ask; kept alive by
 * a `WatchLoop` (backoff, resubscribe). A top is a state, not a sequence of events: after a
 * reconnect the next update is the whole top again, so nothing needs filling in.
 *
 * @example
 * const book = new CcxtBookTop({ exchange, symbol: 'BTC/USDT', onTop: (t) => console.log(t.bid) });
 * book.start();
 * await book.stop();
 */
export class CcxtBookTop {
  readonly #o: CcxtBookTopOptions;
  readonly #loop: WatchLoop<unknown>;
  #done: Promise<unknown> | null = null;
  #last: BookTop | null = null;

  constructor(options: CcxtBookTopOptions) {
    this.#o = options;
    const ex = options.exchange;
    const bidsAsks = ex.has.watchBidsAsks === true;
    this.#loop = new WatchLoop<unknown>({
      watch: () => (bidsAsks ? ex.watchBidsAsks([options.symbol]) : ex.watchTicker(options.symbol)),
      handle: (value) => this.#handle(value as Ticker | Record<string, Ticker>),
      connections: () => ex.clients ?? {},
      onError: (e, n) =>
        this.#log(`book top stream failed (${n} in a row): ${(e as Error).message ?? String(e)}`),
      backoff: options.backoff,
    });
  }

  /** The last top told (null before the first). */
  get last(): BookTop | null {
    return this.#last;
  }

  /** Watches until `stop()`. */
  start(): void {
    this.#done = this.#loop.run();
  }

  async stop(): Promise<void> {
    this.#loop.stop();
    await this.#o.exchange.close();
    await this.#done;
  }

  #handle(value: Ticker | Record<string, Ticker>): void {
    const sym = this.#o.symbol;
    // watchBidsAsks answers { symbol: ticker }; watchTicker the ticker.
    const t = (
      typeof (value as Ticker).symbol === 'string' ? value : (value as Record<string, Ticker>)[sym]
    ) as Ticker | undefined;
    if (!t || typeof t.bid !== 'number' || typeof t.ask !== 'number') return;
    const info = (t.info ?? {}) as Record<string, unknown>;
    const u = info['u'] ?? info['lastUpdateId'];
    const top: BookTop = {
      instrumentId: sym,
      ts: typeof t.timestamp === 'number' ? t.timestamp : (this.#o.now ?? Date.now)(),
      bid: t.bid,
      bidSize: typeof t.bidVolume === 'number' ? t.bidVolume : 0,
      ask: t.ask,
      askSize: typeof t.askVolume === 'number' ? t.askVolume : 0,
      update: typeof u === 'number' || typeof u === 'string' ? String(u) : null,
    };
    const l = this.#last;
    if (
      l &&
      l.bid === top.bid &&
      l.ask === top.ask &&
      l.bidSize === top.bidSize &&
      l.askSize === top.askSize
    )
      return;
    this.#last = top;
    this.#o.onTop(top);
  }

  #log(line: string): void {
    this.#o.onLog?.(`${this.#o.exchange.id} ${this.#o.symbol}: ${line}`);
  }
}
