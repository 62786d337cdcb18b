import { randomBytes } from 'node:crypto';
import type { Decimal } from '../../trading/core/decimal.js';
import { BinanceErrors } from './binance-error.js';
import { BinanceJson, type OrderRespType } from './binance-json.js';
import type { OrderRef, PlaceRequest } from './matching.js';
import type { RestParams } from './rest-params.js';
import type { SimOrder, SimOrderType, SimTrade } from './sim-order.js';
import type { Route, VenueContext } from './venue-context.js';

const DAY = 86_400_000;
const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;

function checkSymbol(p: RestParams, ctx: VenueContext): string {
  const s = p.need('symbol');
  if (s !== ctx.spec.symbol) throw BinanceErrors.badSymbol();
  return s;
}

/**
 * A symbol the venue lists and does not trade (`listed`): it holds no order or trade of anyone, and
 * takes none ("Market is closed.", as Binance answers for a symbol not TRADING).
 */
function listedOnly(p: RestParams, ctx: VenueContext): boolean {
  const s = p.get('symbol');
  return s !== undefined && ctx.listed.some((l) => l.symbol === s);
}

function clientId(p: RestParams, name: string): string | undefined {
  const v = p.get(name);
  if (v !== undefined && !CLIENT_ID.test(v)) throw BinanceErrors.illegalChars(name);
  return v;
}

function orderRef(p: RestParams): OrderRef {
  const orderId = p.int('orderId');
  const origClientOrderId = p.get('origClientOrderId');
  if (orderId === undefined && origClientOrderId === undefined)
    throw BinanceErrors.mandatory('orderId');
  return { orderId, origClientOrderId };
}

function parseOrder(p: RestParams): PlaceRequest & { respType: OrderRespType } {
  const side = p.oneOf('side', ['BUY', 'SELL'] as const, BinanceErrors.badSide);
  if (!side) throw BinanceErrors.mandatory('side');
  const type = p.oneOf<SimOrderType>(
    'type',
    ['LIMIT', 'LIMIT_MAKER', 'MARKET'],
    BinanceErrors.badType,
  );
  if (!type) throw BinanceErrors.mandatory('type');
  const tif = p.oneOf('timeInForce', ['GTC', 'IOC', 'FOK'] as const, BinanceErrors.badTimeInForce);
  if (type === 'LIMIT' && !tif) throw BinanceErrors.mandatory('timeInForce');
  if (type !== 'LIMIT' && tif) throw BinanceErrors.notRequired('timeInForce');
  const quantity = p.decimal('quantity') ?? null;
  const quoteOrderQty = p.decimal('quoteOrderQty') ?? null;
  const price = p.decimal('price') ?? null;
  if (type === 'MARKET') {
    if (price) throw BinanceErrors.notRequired('price');
    if (!quantity && !quoteOrderQty) throw BinanceErrors.mandatory('quantity');
    if (quantity && quoteOrderQty) throw BinanceErrors.badCombination();
  } else {
    if (!quantity) throw BinanceErrors.mandatory('quantity');
    if (!price) throw BinanceErrors.mandatory('price');
    if (quoteOrderQty) throw BinanceErrors.notRequired('quoteOrderQty');
  }
  const respType =
    p.oneOf('newOrderRespType', ['ACK', 'RESULT', 'FULL'] as const, () =>
      BinanceErrors.illegalChars('newOrderRespType'),
    ) ?? (type === 'LIMIT_MAKER' ? 'ACK' : 'FULL');
  return {
    side,
    type,
    timeInForce: tif ?? 'GTC',
    quantity,
    quoteOrderQty,
    price,
    clientOrderId:
      clientId(p, 'newClientOrderId') ?? randomBytes(16).toString('base64url').slice(0, 22),
    respType,
  };
}

/** Applies Binance's time window rule: at most `maxSpan` between startTime and endTime. */
function window(p: RestParams, maxSpan: number): { start: number; end: number } | null {
  let start = p.int('startTime');
  let end = p.int('endTime');
  if (start === undefined && end === undefined) return null;
  if (start !== undefined && end !== undefined && end - start > maxSpan)
    throw BinanceErrors.lookupTooBig('24 hours');
  start ??= end! - maxSpan;
  end ??= start + maxSpan;
  return { start, end };
}

/** Oldest-first page from `from`, or the latest `limit` when unbounded. */
function page<T>(items: readonly T[], limit: number, fromStart: boolean): T[] {
  return fromStart ? items.slice(0, limit) : items.slice(Math.max(0, items.length - limit));
}

function listOrders(p: RestParams, ctx: VenueContext): SimOrder[] {
  const limit = p.limit(500, 1000);
  const fromId = p.int('orderId');
  let orders = [...ctx.matcher.orders()];
  if (fromId !== undefined) return orders.filter((o) => o.orderId >= fromId).slice(0, limit);
  const w = window(p, DAY);
  if (w) orders = orders.filter((o) => o.time >= w.start && o.time <= w.end);
  return page(orders, limit, p.int('startTime') !== undefined);
}

function listTrades(p: RestParams, ctx: VenueContext): SimTrade[] {
  const limit = p.limit(500, 1000);
  const orderId = p.int('orderId');
  const fromId = p.int('fromId');
  let trades = ctx.matcher.trades().filter((t) => orderId === undefined || t.orderId === orderId);
  if (fromId !== undefined) return trades.filter((t) => t.id >= fromId).slice(0, limit);
  const w = window(p, DAY);
  if (w) trades = trades.filter((t) => t.time >= w.start && t.time <= w.end);
  return page(trades, limit, p.int('startTime') !== undefined);
}

/** The order and account endpoints (all SIGNED). */
export const ORDER_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/api/v3/order',
    security: 'SIGNED',
    weight: 1,
    createsOrder: true,
    handle(p, ctx) {
      if (listedOnly(p, ctx)) {
        parseOrder(p);
        throw BinanceErrors.marketClosed();
      }
      const symbol = checkSymbol(p, ctx);
      const req = parseOrder(p);
      const refusal = ctx.faults.takeOrderRejection();
      if (refusal && !refusal.commit) throw refusal.error;
      const { order, fills } = ctx.matcher.place(req);
      if (refusal) throw refusal.error;
      return BinanceJson.newOrder(symbol, order, fills, req.respType, ctx.market.now());
    },
  },
  {
    method: 'POST',
    path: '/api/v3/order/test',
    security: 'SIGNED',
    weight: 1,
    handle(p, ctx) {
      checkSymbol(p, ctx);
      parseOrder(p);
      return {};
    },
  },
  {
    method: 'GET',
    path: '/api/v3/order',
    security: 'SIGNED',
    weight: 4,
    handle(p, ctx) {
      if (listedOnly(p, ctx)) throw BinanceErrors.unknownOrder();
      const symbol = checkSymbol(p, ctx);
      const o = ctx.matcher.find(orderRef(p));
      if (!o || ctx.faults.hidden(o.committedAt, ctx.serverNow()))
        throw BinanceErrors.unknownOrder();
      return BinanceJson.order(symbol, o);
    },
  },
  {
    method: 'DELETE',
    path: '/api/v3/order',
    security: 'SIGNED',
    weight: 1,
    handle(p, ctx) {
      if (listedOnly(p, ctx)) throw BinanceErrors.unknownOrderCancel();
      const symbol = checkSymbol(p, ctx);
      const o = ctx.matcher.cancel(orderRef(p), clientId(p, 'newClientOrderId') ?? null);
      return BinanceJson.canceled(symbol, o, ctx.market.now());
    },
  },
  {
    method: 'GET',
    path: '/api/v3/openOrders',
    security: 'SIGNED',
    weight: (p) => (p.get('symbol') ? 6 : 80),
    handle(p, ctx) {
      if (listedOnly(p, ctx)) return [];
      if (p.get('symbol') !== undefined) checkSymbol(p, ctx);
      return ctx.matcher.openOrders().map((o) => BinanceJson.order(ctx.spec.symbol, o));
    },
  },
  {
    method: 'DELETE',
    path: '/api/v3/openOrders',
    security: 'SIGNED',
    weight: 1,
    handle(p, ctx) {
      const symbol = checkSymbol(p, ctx);
      const open = [...ctx.matcher.openOrders()];
      if (open.length === 0) throw BinanceErrors.unknownOrderCancel();
      return open.map((o) =>
        BinanceJson.canceled(
          symbol,
          ctx.matcher.cancel({ orderId: o.orderId }, null),
          ctx.market.now(),
        ),
      );
    },
  },
  {
    method: 'GET',
    path: '/api/v3/allOrders',
    security: 'SIGNED',
    weight: 20,
    handle(p, ctx) {
      if (listedOnly(p, ctx)) return [];
      const symbol = checkSymbol(p, ctx);
      return listOrders(p, ctx).map((o) => BinanceJson.order(symbol, o));
    },
  },
  {
    method: 'GET',
    path: '/api/v3/myTrades',
    security: 'SIGNED',
    weight: 20,
    handle(p, ctx) {
      if (listedOnly(p, ctx)) return [];
      const symbol = checkSymbol(p, ctx);
      return listTrades(p, ctx).map((t) => BinanceJson.myTrade(symbol, t));
    },
  },
  {
    method: 'GET',
    path: '/api/v3/account',
    security: 'SIGNED',
    weight: 20,
    handle(p, ctx) {
      const omitZero = p.get('omitZeroBalances') === 'true';
      const bps = (rate: Decimal) => Number(rate.times(10_000).toFixed());
      const now = ctx.serverNow();
      return {
        makerCommission: bps(ctx.fees.maker),
        takerCommission: bps(ctx.fees.taker),
        buyerCommission: 0,
        sellerCommission: 0,
        commissionRates: {
          maker: ctx.fees.maker.toFixed(8),
          taker: ctx.fees.taker.toFixed(8),
          buyer: '0.00000000',
          seller: '0.00000000',
        },
        canTrade: true,
        canWithdraw: true,
        canDeposit: true,
        brokered: false,
        requireSelfTradePrevention: false,
        preventSor: false,
        updateTime: now,
        accountType: 'SPOT',
        balances: ctx.account
          .balances()
          .filter((b) => !omitZero || Number(b.free) !== 0 || Number(b.locked) !== 0),
        permissions: ['SPOT'],
        uid: 1,
      };
    },
  },
];
