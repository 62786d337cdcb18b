import { BinanceErrors } from './binance-error.js';
import { num8 } from './format.js';
import { klineIntervalMs, MarketViews } from './market-views.js';
import { ORDER_ROUTES } from './order-routes.js';
import type { RestParams } from './rest-params.js';
import { weightInterval } from './request-weight.js';
import { exchangeInfoSymbol } from './symbol-spec.js';
import type { Route, VenueContext } from './venue-context.js';

/** `symbol` when given must be ours (-1121); `symbols` is a JSON array of names. */
function symbolFilter(p: RestParams, ctx: VenueContext, required: boolean): void {
  const one = required ? p.need('symbol') : p.get('symbol');
  if (one !== undefined && one !== ctx.spec.symbol) throw BinanceErrors.badSymbol();
  const many = p.get('symbols');
  if (many === undefined) return;
  let names: unknown;
  try {
    names = JSON.parse(many);
  } catch {
    throw BinanceErrors.illegalChars('symbols');
  }
  if (!Array.isArray(names) || names.some((n) => n !== ctx.spec.symbol))
    throw BinanceErrors.badSymbol();
}

function klines(p: RestParams, ctx: VenueContext): unknown {
  symbolFilter(p, ctx, true);
  const ms = klineIntervalMs(p.need('interval'), ctx.market.intervalMs);
  return MarketViews.klines(ctx.market, ms, {
    startTime: p.int('startTime'),
    endTime: p.int('endTime'),
    limit: p.limit(500, 1000),
  });
}

function trades(p: RestParams, ctx: VenueContext, fromId: number | undefined): unknown {
  symbolFilter(p, ctx, true);
  const [a, b] = MarketViews.tradeIds(ctx.market, { limit: p.limit(500, 1000), fromId });
  const out: unknown[] = [];
  for (let id = a; id <= b; id++) out.push(MarketViews.trade(ctx.market.tick(id)));
  return out;
}

function lastPrice(ctx: VenueContext): string {
  return num8(ctx.market.lastPrice() ?? 0);
}

const MARKET_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/api/v3/ping', security: 'NONE', weight: 1, handle: () => ({}) },
  {
    method: 'GET',
    path: '/api/v3/time',
    security: 'NONE',
    weight: 1,
    handle: (_p, ctx) => ({ serverTime: ctx.serverNow() }),
  },
  {
    method: 'GET',
    path: '/api/v3/exchangeInfo',
    security: 'NONE',
    weight: 20,
    handle(p, ctx) {
      symbolFilter(p, ctx, false);
      return {
        timezone: 'UTC',
        serverTime: ctx.serverNow(),
        rateLimits: [
          {
            rateLimitType: 'REQUEST_WEIGHT',
            ...weightInterval(ctx.weightWindowMs),
            limit: ctx.weightPerMinute,
          },
          { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: ctx.ordersPer10s },
          { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
        ],
        exchangeFilters: [],
        symbols: [ctx.spec, ...ctx.listed].map(exchangeInfoSymbol),
      };
    },
  },
  { method: 'GET', path: '/api/v3/klines', security: 'NONE', weight: 2, handle: klines },
  { method: 'GET', path: '/api/v3/uiKlines', security: 'NONE', weight: 2, handle: klines },
  {
    method: 'GET',
    path: '/api/v3/trades',
    security: 'NONE',
    weight: 25,
    handle: (p, ctx) => trades(p, ctx, undefined),
  },
  {
    method: 'GET',
    path: '/api/v3/historicalTrades',
    security: 'NONE',
    weight: 25,
    handle: (p, ctx) => trades(p, ctx, p.int('fromId')),
  },
  {
    method: 'GET',
    path: '/api/v3/aggTrades',
    security: 'NONE',
    weight: 4,
    handle(p, ctx) {
      symbolFilter(p, ctx, true);
      const startTime = p.int('startTime');
      const endTime = p.int('endTime');
      if (startTime !== undefined && endTime !== undefined && endTime - startTime > 3_600_000)
        throw BinanceErrors.lookupTooBig('1 hour');
      const [a, b] = MarketViews.tradeIds(ctx.market, {
        fromId: p.int('fromId'),
        startTime,
        endTime,
        limit: p.limit(500, 1000),
      });
      const out: unknown[] = [];
      for (let id = a; id <= b; id++) out.push(MarketViews.aggTrade(ctx.market.tick(id)));
      return out;
    },
  },
  {
    method: 'GET',
    path: '/api/v3/ticker/24hr',
    security: 'NONE',
    weight: (p) => (p.get('symbol') ? 2 : 80),
    handle(p, ctx) {
      symbolFilter(p, ctx, false);
      const t = MarketViews.ticker24h(ctx.market, ctx.spec.symbol);
      return p.get('symbol') !== undefined ? t : [t];
    },
  },
  {
    method: 'GET',
    path: '/api/v3/ticker/price',
    security: 'NONE',
    weight: (p) => (p.get('symbol') ? 2 : 4),
    handle(p, ctx) {
      symbolFilter(p, ctx, false);
      const t = { symbol: ctx.spec.symbol, price: lastPrice(ctx) };
      return p.get('symbol') !== undefined ? t : [t];
    },
  },
  {
    method: 'GET',
    path: '/api/v3/ticker/bookTicker',
    security: 'NONE',
    weight: (p) => (p.get('symbol') ? 2 : 4),
    handle(p, ctx) {
      symbolFilter(p, ctx, false);
      const last =
        ctx.market.revealedTrades > 0 ? ctx.market.tick(ctx.market.revealedTrades) : null;
      const qty = num8(last?.qty ?? 0);
      const price = lastPrice(ctx);
      const t = {
        symbol: ctx.spec.symbol,
        bidPrice: price,
        bidQty: qty,
        askPrice: price,
        askQty: qty,
      };
      return p.get('symbol') !== undefined ? t : [t];
    },
  },
  {
    method: 'GET',
    path: '/api/v3/avgPrice',
    security: 'NONE',
    weight: 2,
    handle(p, ctx) {
      symbolFilter(p, ctx, true);
      return { mins: 5, price: lastPrice(ctx), closeTime: ctx.market.now() };
    },
  },
];

const USER_STREAM_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/api/v3/userDataStream',
    security: 'API_KEY',
    weight: 2,
    handle: (_p, ctx) => ({ listenKey: ctx.userData.create() }),
  },
  {
    method: 'PUT',
    path: '/api/v3/userDataStream',
    security: 'API_KEY',
    weight: 2,
    handle(p, ctx) {
      ctx.userData.keepAlive(p.need('listenKey'));
      return {};
    },
  },
  {
    method: 'DELETE',
    path: '/api/v3/userDataStream',
    security: 'API_KEY',
    weight: 2,
    handle(p, ctx) {
      ctx.userData.remove(p.need('listenKey'));
      return {};
    },
  },
];

const TABLE = new Map(
  [...MARKET_ROUTES, ...ORDER_ROUTES, ...USER_STREAM_ROUTES].map((r) => [
    `${r.method} ${r.path}`,
    r,
  ]),
);

/**
 * The REST endpoints of the simulated venue (a subset of Binance spot `/api/v3`), by method and
 * path; undefined for anything else (the server answers 404).
 *
 * @example
 * const route = findRoute('GET', '/api/v3/klines');
 */
export function findRoute(method: string, path: string): Route | undefined {
  return TABLE.get(`${method} ${path}`);
}
