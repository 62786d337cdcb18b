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
  readonly #last = new Map<string, number>();
  /** The last price as a decimal once asked; null when the price changed since. */
  readonly #lastDecimal = new Map<string, Decimal | null>();
  readonly #marks = new Map<string, Decimal>();
  readonly #barTopics = new Map<string, string>();
  readonly #tradeTopics = new Map<string, string>();

  constructor(private readonly bus: MessageBus) {}

  /** A closed bar: its close becomes the last price, then it is published. */
  onBar(bar: Bar): void {
    this.#setLast(bar.instrumentId, bar.close);
    this.bus.publish(topic(this.#barTopics, Topics.bars, bar.instrumentId), bar);
  }

  /** A public trade: its price becomes the last price, then it is published. */
  onTrade(tick: TradeTick): void {
    this.#setLast(tick.instrumentId, tick.price);
    this.bus.publish(topic(this.#tradeTopics, Topics.trades, tick.instrumentId), tick);
  }

  /**
   * A reference price for an instrument that has seen no bar or trade yet (the venue's last close,
   * asked when it was taken on demand); published to no one, and the first bar or trade replaces it.
   */
  seed(instrumentId: string, price: number): void {
    if (!this.#last.has(instrumentId)) this.#setLast(instrumentId, price);
  }

  /** The last price seen of an instrument, exact (converted once per new price). */
  lastPrice(instrumentId: string): Decimal | null {
    const cached = this.#lastDecimal.get(instrumentId);
    if (cached) return cached;
    const n = this.#last.get(instrumentId);
    if (n === undefined) return null;
    const d = decimalOf(n);
    this.#lastDecimal.set(instrumentId, d);
    return d;
  }

  /** Every instrument's last price (the marks equity is valued at). */
  marks(): ReadonlyMap<string, Decimal> {
    for (const id of this.#last.keys()) {
      const d = this.lastPrice(id);
      if (d) this.#marks.set(id, d);
    }
    return this.#marks;
  }

  #setLast(instrumentId: string, price: number): void {
    if (this.#last.get(instrumentId) === price) return;
    this.#last.set(instrumentId, price);
    // Kept as null, not deleted: a map emptied by a delete is reallocated (V8 shrinks it).
    this.#lastDecimal.set(instrumentId, null);
  }
}

function topic(cache: Map<string, string>, make: (id: string) => string, id: string): string {
  let t = cache.get(id);
  if (t === undefined) cache.set(id, (t = make(id)));
  return t;
}
