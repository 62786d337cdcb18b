import { intrabarPath } from '../../trading/execution/matching/intrabar-path.js';
import { KairosError } from '../../trading/core/errors.js';
import type { Bar } from '../../trading/data/market-data.js';

/** Trades per replayed bar: its intrabar path open → low/high → high/low → close. */
export const TICKS_PER_BAR = 4;

/** One replayed public trade. Ids count from 1, in time order. */
export interface MarketTick {
  readonly id: number;
  readonly ts: number;
  readonly price: number;
  readonly qty: number;
  /** True when the price fell (the seller took the bid), as Binance's `m`. */
  readonly isBuyerMaker: boolean;
  readonly barIndex: number;
}

/** A replay event: a trade, or a bar reaching its close time. */
export type MarketEvent =
  | { readonly kind: 'trade'; readonly tick: MarketTick }
  | { readonly kind: 'close'; readonly barIndex: number };

/** Where a replay is: trades revealed, bars closed, venue time (to save and seek back to). */
export interface MarketPosition {
  readonly trades: number;
  readonly closedBars: number;
  readonly now: number;
}

/** The revealed part of one bar, with the sums Binance reports for klines. */
export interface BarView {
  readonly openTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly quoteVolume: number;
  readonly trades: number;
  readonly takerBuyBase: number;
  readonly takerBuyQuote: number;
  readonly firstId: number;
  readonly lastId: number;
}

/**
 * A candle file replayed as the venue's market. Each bar becomes four public trades along its
 * intrabar path (the project's convention, `trading/execution/matching/intrabar-path.ts`), each a quarter of the
 * bar's volume, at a quarter-interval apart; the bar closes at its close time. Nothing moves by
 * itself: `step`, `advance` and `advanceTo` reveal events (a real-time driver calls `advanceTo`).
 *
 * @example
 * const m = new ReplayMarket(bars);
 * m.onEvent((e) => ...);
 * m.advance(10); // ten bars: 40 trades and 10 closes
 */
export class ReplayMarket {
  readonly intervalMs: number;
  readonly #bars: readonly Bar[];
  readonly #listeners: ((e: MarketEvent) => void)[] = [];
  /** Views of whole bars, computed once (tickers and klines read them over and over). */
  readonly #views: BarView[] = [];
  #ticks = 0;
  #closed = 0;
  #now: number;

  /** `shiftMs` moves every bar in time (to replay old data as if it happened now). */
  constructor(bars: readonly Bar[], shiftMs = 0) {
    if (bars.length === 0) throw new KairosError('DATA_EMPTY', 'the venue needs at least one bar');
    this.#bars =
      shiftMs === 0
        ? bars
        : bars.map((b) => ({
            ...b,
            openTime: b.openTime + shiftMs,
            closeTime: b.closeTime + shiftMs,
          }));
    this.intervalMs = bars[0]!.closeTime - bars[0]!.openTime;
    this.#now = this.#bars[0]!.openTime;
  }

  /** Subscribes to replay events. */
  onEvent(listener: (e: MarketEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** Venue time: the latest time the replay reached. */
  now(): number {
    return this.#now;
  }

  /** The open time of the first bar. */
  get startTime(): number {
    return this.#bars[0]!.openTime;
  }

  get totalBars(): number {
    return this.#bars.length;
  }

  /** Bars with at least one trade revealed. */
  get revealedBars(): number {
    return Math.ceil(this.#ticks / TICKS_PER_BAR);
  }

  /** Trades revealed so far (the id of the last one). */
  get revealedTrades(): number {
    return this.#ticks;
  }

  /** True when every bar is closed. */
  get finished(): boolean {
    return this.#closed === this.#bars.length;
  }

  /** The last trade price, null before the first trade. */
  lastPrice(): number | null {
    return this.#ticks === 0 ? null : this.tick(this.#ticks).price;
  }

  /** The public trade with this id (1 ≤ id ≤ total bars × 4). */
  tick(id: number): MarketTick {
    const j = id - 1;
    const i = Math.floor(j / TICKS_PER_BAR);
    const k = j % TICKS_PER_BAR;
    const b = this.#bars[i]!;
    const path = intrabarPath(b);
    const price = path[k]!;
    const prev = k > 0 ? path[k - 1]! : i > 0 ? this.#bars[i - 1]!.close : price;
    return {
      id,
      ts: b.openTime + Math.floor((k * (b.closeTime - b.openTime)) / TICKS_PER_BAR),
      price,
      qty: b.volume / TICKS_PER_BAR,
      isBuyerMaker: price < prev,
      barIndex: i,
    };
  }

  /** The bar at `index` (replay times). */
  bar(index: number): Bar {
    return this.#bars[index]!;
  }

  /** The revealed part of bar `index` (null when nothing of it is revealed). */
  view(index: number): BarView | null {
    const shown = Math.min(TICKS_PER_BAR, this.#ticks - index * TICKS_PER_BAR);
    if (shown <= 0) return null;
    const cached = this.#views[index];
    if (cached) return cached;
    const b = this.#bars[index]!;
    let high = -Infinity;
    let low = Infinity;
    let quoteVolume = 0;
    let takerBuyBase = 0;
    let takerBuyQuote = 0;
    let close = b.open;
    const first = index * TICKS_PER_BAR + 1;
    for (let id = first; id < first + shown; id++) {
      const t = this.tick(id);
      high = Math.max(high, t.price);
      low = Math.min(low, t.price);
      close = t.price;
      quoteVolume += t.price * t.qty;
      if (!t.isBuyerMaker) {
        takerBuyBase += t.qty;
        takerBuyQuote += t.price * t.qty;
      }
    }
    const whole = shown === TICKS_PER_BAR;
    const view: BarView = {
      openTime: b.openTime,
      open: b.open,
      high,
      low,
      close,
      volume: whole ? b.volume : (b.volume / TICKS_PER_BAR) * shown,
      quoteVolume,
      trades: shown,
      takerBuyBase,
      takerBuyQuote,
      firstId: first,
      lastId: first + shown - 1,
    };
    if (whole) this.#views[index] = view;
    return view;
  }

  /** Where the replay is. */
  position(): MarketPosition {
    return { trades: this.#ticks, closedBars: this.#closed, now: this.#now };
  }

  /**
   * Moves forward to a saved position without telling the listeners (a restarted venue whose
   * orders already met those trades). Throws when the position is behind or past the data.
   */
  seek(p: MarketPosition): void {
    while (this.#ticks < p.trades || this.#closed < p.closedBars) {
      const ev = this.#next();
      if (
        !ev ||
        (ev.event.kind === 'trade' ? this.#ticks >= p.trades : this.#closed >= p.closedBars)
      )
        throw new KairosError(
          'CONFIG_INVALID',
          'state: the saved replay position is not in the data',
        );
      this.#apply(ev, false);
    }
    if (this.#ticks !== p.trades || this.#closed !== p.closedBars)
      throw new KairosError(
        'CONFIG_INVALID',
        'state: the saved replay position is not in the data',
      );
    if (p.now > this.#now) this.#now = p.now;
  }

  /** Reveals the next event; false at the end of the data. */
  step(): boolean {
    const ev = this.#next();
    if (!ev) return false;
    this.#apply(ev);
    return true;
  }

  /** Reveals the rest of the current bar and `n - 1` more bars, each up to its close. */
  advance(n = 1): void {
    const target = Math.min(this.#bars.length, this.#closed + n);
    while (this.#closed < target) this.step();
  }

  /** Reveals every event up to venue time `t`. */
  advanceTo(t: number): void {
    for (let ev = this.#next(); ev && ev.at <= t; ev = this.#next()) this.#apply(ev);
    if (t > this.#now) this.#now = t;
  }

  #next(): { at: number; event: MarketEvent } | null {
    const lastBar = Math.ceil(this.#ticks / TICKS_PER_BAR);
    if (this.#closed < lastBar && this.#ticks % TICKS_PER_BAR === 0) {
      const barIndex = this.#closed;
      return { at: this.#bars[barIndex]!.closeTime, event: { kind: 'close', barIndex } };
    }
    if (this.#ticks >= this.#bars.length * TICKS_PER_BAR) return null;
    const tick = this.tick(this.#ticks + 1);
    return { at: tick.ts, event: { kind: 'trade', tick } };
  }

  #apply({ at, event }: { at: number; event: MarketEvent }, tell = true): void {
    if (event.kind === 'trade') this.#ticks++;
    else this.#closed++;
    if (at > this.#now) this.#now = at;
    if (tell) for (const l of this.#listeners) l(event);
  }
}
