import { toDecimal, type Decimal } from '../../trading/core/decimal.js';
import { KairosError } from '../../trading/core/errors.js';
import { isOnGrid } from '../../trading/model/snap.js';
import { BinanceErrors } from './binance-error.js';
import { fmt } from './format.js';

/** The one symbol the simulated venue lists, with its exchange filters. */
export interface SymbolSpec {
  /** Binance id, e.g. `BTCUSDT`. */
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  readonly tickSize: Decimal;
  readonly minPrice: Decimal;
  readonly maxPrice: Decimal;
  readonly stepSize: Decimal;
  readonly minQty: Decimal;
  readonly maxQty: Decimal;
  readonly minNotional: Decimal;
  readonly maxNotional: Decimal;
}

/** What `symbolSpec` takes: a unified symbol and filter values as decimal strings. */
export interface SymbolSpecInput {
  /** Unified symbol `BASE/QUOTE`, e.g. `BTC/USDT`. */
  readonly symbol: string;
  readonly tickSize?: string;
  readonly stepSize?: string;
  readonly minQty?: string;
  readonly maxQty?: string;
  readonly minNotional?: string;
  readonly maxNotional?: string;
  readonly maxPrice?: string;
}

function dec(name: string, value: string, positive: boolean): Decimal {
  let d: Decimal;
  try {
    d = toDecimal(value);
  } catch {
    throw new KairosError('CONFIG_INVALID', `${name}: must be a decimal, was ${value}`);
  }
  if (positive ? d.lte(0) : d.lt(0))
    throw new KairosError('CONFIG_INVALID', `${name}: must be ${positive ? 'positive' : '≥ 0'}`);
  return d;
}

/**
 * Checks and completes a symbol's filters (defaults: tick 0.01, step 0.00001, no minimum notional).
 *
 * @example
 * const spec = symbolSpec({ symbol: 'BTC/USDT', tickSize: '0.01' }); // spec.symbol === 'BTCUSDT'
 */
export function symbolSpec(input: SymbolSpecInput): SymbolSpec {
  const m = /^([A-Z0-9]{1,20})\/([A-Z0-9]{1,20})$/.exec(input.symbol);
  if (!m)
    throw new KairosError(
      'CONFIG_INVALID',
      `symbol: must be BASE/QUOTE in capitals (e.g. BTC/USDT), was ${input.symbol}`,
    );
  const tickSize = dec('tickSize', input.tickSize ?? '0.01', true);
  const stepSize = dec('stepSize', input.stepSize ?? '0.00001', true);
  return {
    symbol: `${m[1]}${m[2]}`,
    base: m[1]!,
    quote: m[2]!,
    tickSize,
    minPrice: tickSize,
    maxPrice: dec('maxPrice', input.maxPrice ?? '1000000000', true),
    stepSize,
    minQty: dec('minQty', input.minQty ?? stepSize.toFixed(), true),
    maxQty: dec('maxQty', input.maxQty ?? '9000000', true),
    minNotional: dec('minNotional', input.minNotional ?? '0', false),
    maxNotional: dec('maxNotional', input.maxNotional ?? '9000000000', true),
  };
}

/** The symbol as `GET /api/v3/exchangeInfo` lists it. */
export function exchangeInfoSymbol(s: SymbolSpec): Record<string, unknown> {
  return {
    symbol: s.symbol,
    status: 'TRADING',
    baseAsset: s.base,
    baseAssetPrecision: 8,
    quoteAsset: s.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET'],
    icebergAllowed: false,
    ocoAllowed: false,
    otoAllowed: false,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: false,
    cancelReplaceAllowed: false,
    amendAllowed: false,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      {
        filterType: 'PRICE_FILTER',
        minPrice: fmt(s.minPrice),
        maxPrice: fmt(s.maxPrice),
        tickSize: fmt(s.tickSize),
      },
      {
        filterType: 'LOT_SIZE',
        minQty: fmt(s.minQty),
        maxQty: fmt(s.maxQty),
        stepSize: fmt(s.stepSize),
      },
      {
        filterType: 'NOTIONAL',
        minNotional: fmt(s.minNotional),
        applyMinToMarket: true,
        maxNotional: fmt(s.maxNotional),
        applyMaxToMarket: false,
        avgPriceMins: 5,
      },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'NONE',
    allowedSelfTradePreventionModes: ['NONE'],
  };
}

/**
 * Binance's filter checks for a new order (PRICE_FILTER, LOT_SIZE, NOTIONAL); throws -1013
 * naming the first filter that fails. `notionalPrice` is the limit price, or the last price for a
 * market order.
 */
export function checkFilters(
  s: SymbolSpec,
  o: { price: Decimal | null; quantity: Decimal; notionalPrice: Decimal; market: boolean },
): void {
  if (o.price !== null) {
    const p = o.price;
    if (p.lt(s.minPrice) || p.gt(s.maxPrice) || !isOnGrid(p.minus(s.minPrice), s.tickSize))
      throw BinanceErrors.filter('PRICE_FILTER');
  }
  const q = o.quantity;
  if (q.lt(s.minQty) || q.gt(s.maxQty) || !isOnGrid(q.minus(s.minQty), s.stepSize))
    throw BinanceErrors.filter('LOT_SIZE');
  const notional = o.notionalPrice.times(q);
  if (notional.lt(s.minNotional) || (!o.market && notional.gt(s.maxNotional)))
    throw BinanceErrors.filter('NOTIONAL');
}
