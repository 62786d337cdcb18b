import type { Exchange, MarketInterface } from 'ccxt';
import { Dec, toDecimal, type Decimal } from '../../core/decimal.js';
import { KairosError } from '../../core/errors.js';
import { makeInstrument, type Instrument } from '../../model/instrument.js';

/** ccxt's precision modes (`exchange.precisionMode`). */
const DECIMAL_PLACES = 2;
const SIGNIFICANT_DIGITS = 3;
const TICK_SIZE = 4;

/** A step from ccxt's precision value: a tick size, or a count of decimal places. */
function step(symbol: string, what: string, value: unknown, mode: number): Decimal {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new KairosError(
      'VENUE_MARKET_INVALID',
      `market ${symbol}: ccxt gives no ${what} precision (${JSON.stringify(value)})`,
    );
  if (mode === TICK_SIZE) return toDecimal(value);
  if (mode === DECIMAL_PLACES && Number.isInteger(value)) return Dec(1).div(Dec(10).pow(value));
  throw new KairosError(
    'VENUE_MARKET_INVALID',
    `market ${symbol}: precision mode ${mode === SIGNIFICANT_DIGITS ? 'SIGNIFICANT_DIGITS' : mode} has no fixed ${what} step; Kairos needs a tick and a lot size`,
  );
}

const nonNegative = (x: unknown): Decimal | undefined =>
  typeof x === 'number' && Number.isFinite(x) && x >= 0 ? toDecimal(x) : undefined;

/**
 * The Instrument of a ccxt market: tick and lot from `precision` (tick-size or decimal-places
 * mode), minimum quantity and notional from `limits` (the minimum quantity is at least one lot),
 * maker and taker fee from the market. Throws `VENUE_MARKET_INVALID` when the market has no
 * fixed price or amount step (significant-digits precision).
 *
 * @example
 * const btc = instrumentFromMarket(exchange.market('BTC/USDT'), exchange.precisionMode);
 */
export function instrumentFromMarket(market: MarketInterface, precisionMode: number): Instrument {
  const symbol = market.symbol;
  const tick = step(symbol, 'price', market.precision.price, precisionMode);
  const lot = step(symbol, 'amount', market.precision.amount, precisionMode);
  const minQty = nonNegative(market.limits.amount?.min);
  return makeInstrument({
    id: symbol,
    base: market.base,
    quote: market.quote,
    tickSize: tick,
    lotSize: lot,
    minQuantity: minQty !== undefined && minQty.gt(lot) ? minQty : lot,
    minNotional: nonNegative(market.limits.cost?.min) ?? 0,
    makerFee: nonNegative(market.maker) ?? 0,
    takerFee: nonNegative(market.taker) ?? 0,
  });
}

/**
 * The instruments of a venue, from ccxt's markets. `load` once before trading; `refresh` reloads
 * (tick sizes and minimums change now and then), and `startRefresh` does it on a timer.
 *
 * @example
 * const markets = new Markets(exchange);
 * await markets.load();
 * const inst = markets.instrument('BTC/USDT');
 */
export class Markets {
  #instruments = new Map<string, Instrument>();
  #timer: ReturnType<typeof setInterval> | null = null;
  readonly #listeners = new Set<(markets: Markets) => void>();

  constructor(
    private readonly exchange: Exchange,
    /** Runs each (re)load; pass a venue policy's `read` to retry it. */
    private readonly read: <T>(call: () => Promise<T>) => Promise<T> = (call) => call(),
  ) {}

  /** Loads the markets (once) and builds their instruments. */
  async load(): Promise<readonly Instrument[]> {
    await this.read(() => this.exchange.loadMarkets());
    return this.#build();
  }

  /** Reloads the markets from the venue; then tells every `onRefresh` listener. */
  async refresh(): Promise<readonly Instrument[]> {
    await this.read(() => this.exchange.loadMarkets(true));
    const all = this.#build();
    for (const l of this.#listeners) l(this);
    return all;
  }

  /**
   * `listener` after every refresh (the instruments' rules may have changed: a tick, a lot, a
   * minimum); answers the unsubscribe.
   */
  onRefresh(listener: (markets: Markets) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** The instrument of `symbol`, or undefined when the venue does not list it (now). */
  find(symbol: string): Instrument | undefined {
    return this.#instruments.get(symbol);
  }

  /** Refreshes every `intervalMs` until `stop()`; failures go to `onError` (the old ones stay). */
  startRefresh(intervalMs: number, onError: (error: unknown) => void): void {
    this.stop();
    this.#timer = setInterval(() => void this.refresh().catch(onError), intervalMs);
    this.#timer.unref?.();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** The instrument of a unified symbol (`BTC/USDT`); `VENUE_SYMBOL_UNKNOWN` if there is none. */
  instrument(symbol: string): Instrument {
    const inst = this.#instruments.get(symbol);
    if (!inst)
      throw new KairosError(
        'VENUE_SYMBOL_UNKNOWN',
        `${this.exchange.id}: no market ${JSON.stringify(symbol)}${this.#instruments.size === 0 ? ' (markets not loaded)' : ''}`,
      );
    return inst;
  }

  /** Every instrument built so far. */
  all(): readonly Instrument[] {
    return [...this.#instruments.values()];
  }

  #build(): readonly Instrument[] {
    const next = new Map<string, Instrument>();
    const mode = this.exchange.precisionMode ?? TICK_SIZE;
    for (const m of Object.values(this.exchange.markets ?? {})) {
      if (!m || m.active === false) continue;
      try {
        next.set(m.symbol, instrumentFromMarket(m, mode));
      } catch {
        // A market Kairos cannot trade (no fixed steps) is left out; `instrument` names it.
      }
    }
    this.#instruments = next;
    return this.all();
  }
}
