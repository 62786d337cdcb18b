import type { MessageBus } from '../bus/message-bus.js';
import { Topics } from '../bus/topics.js';
import type { Decimal } from '../core/decimal.js';
import { decimalOf } from '../core/scaled-decimal.js';
import type { Bar, TradeTick } from './market-data.js';

/**
 * The market data every engine sees: it keeps each instrument's last price and publishes bars on
 * `data.bars.<instrument>` and trades on `data.trades.<instrument>`, in the order they arrive.
 * Strategies, the risk gate and recorders subscribe; nothing is handed over by closure.
 *
 * @example
 * const data = new DataEngine(bus);
 * bus.subscribe(Topics.bars('BTC/USDT'), (bar) => strategy.onBar(bar));
 * data.onBar(bar);
 */
export class DataEngine {
  /** Per instrument, in the order first seen: its last price and topics (one look-up a bar). */
  readonly #feeds = new Map<string, Feed>();
  readonly #marks = new Map<string, Decimal>();
  /** The instrument `#feed` last answered for, and its feed (feeds are never removed). */
  #lastId: string | null = null;
  #lastFeed: Feed | null = null;

  constructor(private readonly bus: MessageBus) {}

  /** A closed bar: its close becomes the last price, then it is published. */
  onBar(bar: Bar): void {
    const feed = this.#feed(bar.instrumentId);
    setLast(feed, bar.close);
    this.bus.publish(feed.barTopic, bar);
  }

  /** A public trade: its price becomes the last price, then it is published. */
  onTrade(tick: TradeTick): void {
    const feed = this.#feed(tick.instrumentId);
    setLast(feed, tick.price);
    this.bus.publish(feed.tradeTopic, tick);
  }

  /**
   * A price seen before (a bar or trade a restarted node only warms its strategy on, as it handled
   * it before the restart): it becomes the last price, as then, and is published to no one.
   */
  warm(instrumentId: string, price: number): void {
    setLast(this.#feed(instrumentId), price);
  }

  /**
   * A reference price for an instrument that has seen no bar or trade yet (the venue's last close,
   * asked when it was taken on demand); published to no one, and the first bar or trade replaces it.
   */
  seed(instrumentId: string, price: number): void {
    const feed = this.#feed(instrumentId);
    if (!feed.seen) setLast(feed, price);
  }

  /** The last price seen of an instrument, exact (converted once per new price). */
  lastPrice(instrumentId: string): Decimal | null {
    const feed = this.#feeds.get(instrumentId);
    if (!feed?.seen) return null;
    return (feed.decimal ??= decimalOf(feed.last));
  }

  /** Every instrument's last price (the marks equity is valued at). */
  marks(): ReadonlyMap<string, Decimal> {
    for (const id of this.#feeds.keys()) {
      const d = this.lastPrice(id);
      if (d) this.#marks.set(id, d);
    }
    return this.#marks;
  }

  #feed(instrumentId: string): Feed {
    // The instrument of the last call first: a backtest asks for one instrument a million times.
    if (instrumentId === this.#lastId) return this.#lastFeed!;
    let feed = this.#feeds.get(instrumentId);
    if (feed === undefined) {
      feed = {
        seen: false,
        last: 0,
        decimal: null,
        barTopic: Topics.bars(instrumentId),
        tradeTopic: Topics.trades(instrumentId),
      };
      this.#feeds.set(instrumentId, feed);
    }
    this.#lastId = instrumentId;
    this.#lastFeed = feed;
    return feed;
  }
}

/** An instrument's feed: the last price (a number changed in place, no box per bar). */
interface Feed {
  /** Whether a price was set (a bar, a trade or a seed). */
  seen: boolean;
  last: number;
  /** The last price as a decimal once asked; null when the price changed since. */
  decimal: Decimal | null;
  readonly barTopic: string;
  readonly tradeTopic: string;
}

function setLast(feed: Feed, price: number): void {
  if (feed.seen && feed.last === price) return;
  feed.seen = true;
  feed.last = price;
  feed.decimal = null;
}
