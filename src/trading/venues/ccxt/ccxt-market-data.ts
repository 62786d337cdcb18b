import type { Exchange, OHLCV, Trade } from 'ccxt';
import type { Bar, TradeTick } from '../../data/market-data.js';
import { barFromOhlcv, ohlcvPages, timeframeMs } from './ohlcv-pages.js';
import { WatchLoop } from './watch-loop.js';

/** Options of {@link CcxtMarketData}. */
export interface CcxtMarketDataOptions {
  /** A ccxt.pro exchange (its REST methods fill gaps and poll). Closed by `stop()`. */
  readonly exchange: Exchange;
  readonly symbol: string;
  readonly timeframe: string;
  /** Closed bars, in order, each once (candles are watched only when given). */
  readonly onBars?: (bars: readonly Bar[]) => void;
  /** Public trades, in order, each once (watched only when given). */
  readonly onTrades?: (trades: readonly TradeTick[]) => void;
  /** Open time of the first bar wanted; default: the first bar to close after `start`. */
  readonly since?: number;
  /** `ws`: WebSocket only; `rest`: poll only; `auto` (default): WebSocket, polling when it fails. */
  readonly mode?: 'auto' | 'ws' | 'rest';
  /** Polling interval (default: a quarter of the bar interval, 1 s to 15 s). */
  readonly pollMs?: number;
  /** In `auto`, consecutive WebSocket failures before polling instead (default 10)... */
  readonly maxWsFailures?: number;
  /** ...for this long before trying the WebSocket again (default 60 s). */
  readonly fallbackMs?: number;
  /** Venue time now (default the local clock; pass one corrected by `ClockSkew`). */
  readonly now?: () => number;
  /** Runs each REST call; pass a venue policy's `read` to retry transient failures. */
  readonly read?: <T>(call: () => Promise<T>) => Promise<T>;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly onLog?: (line: string) => void;
}

/** What the feed did so far. */
export interface MarketDataStats {
  wsBars: number;
  restBars: number;
  reconnects: number;
  gapFills: number;
  polls: number;
  trades: number;
  mode: 'ws' | 'rest';
}

const TRADE_IDS_KEPT = 50_000;
/** Trades per REST page (Binance's maximum) and pages per gap fill before the next update. */
const TRADE_PAGE = 1000;
const MAX_TRADE_PAGES = 20;

/**
 * Live bars and/or trades of one symbol from a ccxt venue (each watched only when its handler is
 * given). It watches candles over
 * the WebSocket (`watchOHLCV`), reconnecting with exponential backoff; after every reconnect,
 * and whenever a closed bar does not follow the last one, it fills the gap from REST
 * (`fetchOHLCV`), so the bars it emits are complete, in order and never repeated. A bar is
 * emitted once closed (a later bar has started, or its close time has passed). While the
 * WebSocket is down it fills from REST before each new attempt; where the venue has none, or it
 * keeps failing, it polls REST instead.
 *
 * @example
 * const feed = new CcxtMarketData({ exchange, symbol: 'BTC/USDT', timeframe: '1m', onBars });
 * await feed.start();
 * await feed.stop();
 */
export class CcxtMarketData {
  readonly stats: MarketDataStats = {
    wsBars: 0,
    restBars: 0,
    reconnects: 0,
    gapFills: 0,
    polls: 0,
    trades: 0,
    mode: 'ws',
  };
  readonly #o: CcxtMarketDataOptions;
  readonly #interval: number;
  readonly #now: () => number;
  readonly #read: <T>(call: () => Promise<T>) => Promise<T>;
  /** WebSocket candles not yet emitted, by open time (latest values). */
  readonly #candles = new Map<number, Bar>();
  readonly #tradeIds = new Set<string>();
  #lastTradeTs = 0;
  #tradeGap = false;
  /** At start (`start`'s `tradesSince`): the closed bars' trades from then on go before them. */
  #backfillFrom: number | null = null;
  #last = -Infinity;
  #tail: Promise<unknown> = Promise.resolve();
  #running = false;
  #loops: WatchLoop<unknown>[] = [];
  #wake: (() => void) | null = null;
  #done: Promise<unknown> | null = null;

  constructor(options: CcxtMarketDataOptions) {
    this.#o = options;
    this.#interval = timeframeMs(options.exchange, options.timeframe);
    this.#now = options.now ?? (() => Date.now());
    this.#read = options.read ?? ((call) => call());
  }

  /** Open time of the last bar emitted (or before `since`). */
  get lastOpenTime(): number {
    return this.#last;
  }

  /**
   * Emits the bars from `since` (REST), then runs until `stop()`. Trades are those from the start
   * on; with `tradesSince` (earlier), also those from then on, read from REST, each before the
   * closed bar it falls in (a restarted node plays the bar it died in again with its trades).
   */
  async start(from: { readonly tradesSince?: number } = {}): Promise<void> {
    const o = this.#o;
    this.#running = true;
    if (o.onTrades) this.#lastTradeTs = this.#now();
    if (o.onBars && o.onTrades && from.tradesSince !== undefined) {
      if (from.tradesSince < this.#lastTradeTs) {
        this.#backfillFrom = this.#lastTradeTs = from.tradesSince;
        // The stream's first update reads the trades after the last closed bar from REST.
        this.#tradeGap = true;
      }
    }
    if (!o.onBars) {
      // Trades only (the WebSocket `trades` channel): no candles, no bar gap-fill.
      if (o.onTrades && o.exchange.has.watchTrades) this.#done = this.#tradesLoop().run();
      return;
    }
    if (o.since !== undefined) this.#last = o.since - this.#interval;
    else await this.#startAtLatest();
    await this.#serial(() => this.#gapFill());
    this.#backfillFrom = null;
    this.#done = this.#run();
  }

  /** Stops watching and polling; closes the exchange. */
  async stop(): Promise<void> {
    this.#running = false;
    for (const loop of this.#loops) loop.stop();
    this.#wake?.();
    await this.#o.exchange.close();
    await this.#done;
    await this.#tail;
  }

  async #run(): Promise<void> {
    const o = this.#o;
    const ws = o.mode !== 'rest' && o.exchange.has.watchOHLCV === true;
    if (o.onTrades && o.exchange.has.watchTrades) void this.#tradesLoop().run();
    if (!ws) return this.#poll(Infinity);
    for (;;) {
      this.stats.mode = 'ws';
      const loop = this.#track(
        new WatchLoop<unknown>({
          watch: () => o.exchange.watchOHLCV(o.symbol, o.timeframe),
          handle: (rows) => this.#serial(() => this.#onCandles(rows as OHLCV[])),
          onReconnect: async () => {
            this.stats.reconnects++;
            this.#log('candles stream reconnected');
            await this.#serial(() => this.#gapFill());
          },
          connections: () => o.exchange.clients ?? {},
          // While the socket is down, each attempt first brings the bars closed meanwhile from
          // REST: a venue whose WebSocket fails (or has none) still feeds the strategy until
          // the feed gives up on it and polls.
          beforeRetry: async () => void (await this.#serial(() => this.#gapFill())),
          onError: (e, n) => this.#log(`candles stream failed (${n} in a row): ${msg(e)}`),
          backoff: o.backoff,
          maxFailures: o.mode === 'ws' ? undefined : (o.maxWsFailures ?? 10),
        }),
      );
      const end = await loop.run();
      if (end === 'stopped' || !this.#running) return;
      this.#log('WebSocket keeps failing; polling REST for a while');
      await this.#poll(this.#now() + (o.fallbackMs ?? 60_000));
      if (!this.#running) return;
    }
  }

  #track<T>(loop: WatchLoop<T>): WatchLoop<T> {
    this.#loops = [...this.#loops.filter((l) => l.running), loop as WatchLoop<unknown>];
    return loop;
  }

  /** Polls REST until `until` (local clock) or `stop()`. */
  async #poll(until: number): Promise<void> {
    this.stats.mode = 'rest';
    const pollMs = this.#o.pollMs ?? Math.min(15_000, Math.max(1000, this.#interval / 4));
    while (this.#running && Date.now() < until) {
      this.stats.polls++;
      await this.#serial(() => this.#gapFill());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Starts after the latest closed bar at the venue (it is not emitted). */
  async #startAtLatest(): Promise<void> {
    const o = this.#o;
    const rows = await this.#read(() => o.exchange.fetchOHLCV(o.symbol, o.timeframe, undefined, 3));
    const bars = rows
      .map((r) => barFromOhlcv(r, o.symbol, this.#interval))
      .filter((b): b is Bar => b !== null);
    const latest = bars.at(-1);
    if (!latest) this.#last = Math.floor(this.#now() / this.#interval) * this.#interval;
    else if (latest.closeTime <= this.#now()) this.#last = latest.openTime;
    else this.#last = latest.openTime - this.#interval;
  }

  /** Runs one step of bar handling at a time, in order. */
  #serial<T>(job: () => Promise<T> | T): Promise<T> {
    const run = this.#tail.then(job);
    this.#tail = run.catch((e: unknown) => this.#log(`bar handling failed: ${msg(e)}`));
    return run;
  }

  async #onCandles(rows: readonly OHLCV[]): Promise<void> {
    for (const row of rows) {
      const bar = barFromOhlcv(row, this.#o.symbol, this.#interval);
      if (bar && bar.openTime > this.#last) this.#candles.set(bar.openTime, bar);
    }
    const times = [...this.#candles.keys()].sort((a, b) => a - b);
    const newest = times.at(-1);
    if (newest === undefined) return;
    const closed = times.filter(
      (t) => t < newest || this.#candles.get(t)!.closeTime <= this.#now(),
    );
    if (closed.length === 0) return;
    if (closed[0]! !== this.#last + this.#interval) {
      // A hole before the first closed bar: REST first, so nothing is skipped or reordered.
      if (!(await this.#gapFill())) return;
    }
    const out: Bar[] = [];
    for (const t of closed) {
      const bar = this.#candles.get(t);
      this.#candles.delete(t);
      if (!bar || bar.openTime <= this.#last) continue;
      if (bar.openTime !== this.#last + this.#interval)
        this.#log(`no bars at the venue between ${this.#last} and ${bar.openTime}`);
      this.#last = bar.openTime;
      out.push(bar);
    }
    if (out.length > 0) {
      this.stats.wsBars += out.length;
      this.#o.onBars?.(out);
    }
  }

  /** Emits the closed bars after the last one from REST; false when REST failed. */
  async #gapFill(): Promise<boolean> {
    const o = this.#o;
    this.stats.gapFills++;
    try {
      for await (const page of ohlcvPages(o.exchange, {
        symbol: o.symbol,
        timeframe: o.timeframe,
        since: this.#last + this.#interval,
        now: this.#now,
        read: this.#read,
      })) {
        const fresh = page.filter((b) => b.openTime > this.#last);
        if (fresh.length === 0) continue;
        const from = this.#backfillFrom;
        const plain = from === null ? fresh : fresh.filter((b) => b.closeTime <= from);
        if (plain.length > 0) {
          this.#last = plain.at(-1)!.openTime;
          this.stats.restBars += plain.length;
          o.onBars?.(plain);
        }
        // Bars closing after `tradesSince`: each after its trades.
        for (const bar of fresh.slice(plain.length)) {
          await this.#tradesBefore(from!, bar.closeTime);
          this.#last = bar.openTime;
          this.stats.restBars++;
          o.onBars?.([bar]);
        }
      }
    } catch (e) {
      this.#log(`gap fill failed: ${msg(e)}`);
      return false;
    }
    for (const t of [...this.#candles.keys()]) if (t <= this.#last) this.#candles.delete(t);
    return true;
  }

  #tradesLoop(): WatchLoop<unknown> {
    const o = this.#o;
    return this.#track(
      new WatchLoop<unknown>({
        watch: () => o.exchange.watchTrades(o.symbol),
        handle: async (trades) => {
          // While a gap is unfilled, the stream's trades wait: the fill reads them from REST.
          if (this.#tradeGap && !(await this.#fillTrades())) return;
          this.#emitTrades(trades as Trade[]);
        },
        onReconnect: async () => {
          this.#log('trades stream reconnected');
          this.#tradeGap = true;
          await this.#fillTrades();
        },
        connections: () => o.exchange.clients ?? {},
        onError: (e, n) => this.#log(`trades stream failed (${n} in a row): ${msg(e)}`),
        backoff: o.backoff,
      }),
    );
  }

  /**
   * Reads the trades missed since the last one emitted from REST, page after page, until a page
   * brings nothing new. A failed read leaves the gap open: the next update tries again, so a
   * trade is never skipped, only late.
   */
  async #fillTrades(): Promise<boolean> {
    const o = this.#o;
    try {
      for (let page = 0; page < MAX_TRADE_PAGES; page++) {
        const since = Math.max(0, this.#lastTradeTs - 1000);
        const rows = await this.#read(() => o.exchange.fetchTrades(o.symbol, since, TRADE_PAGE));
        if (this.#emitTrades(rows) === 0) {
          this.#tradeGap = false;
          return true;
        }
      }
      return false; // a long gap: the next update reads on
    } catch (e) {
      this.#log(`trades gap fill failed, retrying on the next update: ${msg(e)}`);
      return false;
    }
  }

  /**
   * At start: emits from REST the trades from `from` (on) to `end` (before) not emitted yet,
   * page after page. A failed read is logged and the bar goes on without the rest of them.
   */
  async #tradesBefore(from: number, end: number): Promise<void> {
    const o = this.#o;
    try {
      for (;;) {
        const since = Math.max(from, this.#lastTradeTs - 1000);
        const rows = await this.#read(() => o.exchange.fetchTrades(o.symbol, since, TRADE_PAGE));
        const within = (t: Trade) =>
          typeof t.timestamp === 'number' && t.timestamp >= from && t.timestamp < end;
        if (this.#emitTrades(rows.filter(within)) === 0) return;
      }
    } catch (e) {
      this.#log(`trades of the bar closing at ${end} not read: ${msg(e)}`);
    }
  }

  /** Emits the trades not emitted before, in time order; returns how many. */
  #emitTrades(trades: readonly Trade[]): number {
    const out: TradeTick[] = [];
    for (const t of trades) {
      const id = String(t.id ?? '');
      if (id === '' || this.#tradeIds.has(id) || typeof t.price !== 'number') continue;
      if (typeof t.timestamp !== 'number' || typeof t.amount !== 'number') continue;
      this.#tradeIds.add(id);
      if (this.#tradeIds.size > TRADE_IDS_KEPT)
        this.#tradeIds.delete(this.#tradeIds.values().next().value!);
      out.push({
        instrumentId: this.#o.symbol,
        ts: t.timestamp,
        tradeId: id,
        price: t.price,
        size: t.amount,
        aggressor: t.side === 'buy' ? 'BUY' : t.side === 'sell' ? 'SELL' : 'NONE',
      });
    }
    if (out.length === 0) return 0;
    out.sort((a, b) => a.ts - b.ts);
    this.#lastTradeTs = Math.max(this.#lastTradeTs, out.at(-1)!.ts);
    this.stats.trades += out.length;
    this.#o.onTrades?.(out);
    return out.length;
  }

  #log(line: string): void {
    this.#o.onLog?.(`${this.#o.exchange.id} ${this.#o.symbol} ${this.#o.timeframe}: ${line}`);
  }
}

function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
