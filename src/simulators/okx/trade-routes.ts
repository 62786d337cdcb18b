import { ZERO } from '../../trading/core/decimal.js';
import { BinanceError } from '../binance/binance-error.js';
import { fmt } from '../binance/format.js';
import type { PlaceRequest } from '../binance/matching.js';
import type { SimOrder } from '../binance/sim-order.js';
import { okxErrorOf, OkxError, OkxErrors } from './okx-error.js';
import { instIdOf, OkxIds, OkxJson } from './okx-json.js';
import type { OkxParams } from './okx-params.js';
import type { OkxAccount, OkxContext, OkxRoute } from './okx-context.js';

const DAY = 86_400_000;
/** OKX's rule for a client order id: 1 to 32 letters and digits. */
const CL_ORD_ID = /^[A-Za-z0-9]{1,32}$/;

const callerOf = (ctx: OkxContext): OkxAccount => ctx.caller!;

function instrument(p: OkxParams, ctx: OkxContext): void {
  if (p.need('instId') !== instIdOf(ctx.spec)) throw OkxErrors.instrument();
}

/** The order a request names by `ordId` or `clOrdId` (ordId wins, as OKX's). */
function named(p: OkxParams, ctx: OkxContext): SimOrder | undefined {
  const ordId = p.get('ordId');
  const clOrdId = p.get('clOrdId');
  if (ordId === undefined && clOrdId === undefined) throw OkxErrors.empty('ordId');
  const m = callerOf(ctx).matcher;
  if (ordId !== undefined) {
    const id = OkxIds.orderId(ordId);
    return id === undefined ? undefined : m.find({ orderId: id });
  }
  return m.find({ origClientOrderId: clOrdId });
}

/** The fee an order paid so far, negative (OKX's sign), in the asset charged. */
function feeOf(ctx: OkxContext, o: SimOrder): { amount: string; ccy: string } {
  let sum = ZERO;
  let ccy = o.side === 'BUY' ? ctx.spec.base : ctx.spec.quote;
  for (const t of callerOf(ctx).matcher.trades())
    if (t.orderId === o.orderId) {
      sum = sum.plus(t.commission);
      ccy = t.commissionAsset;
    }
  return { amount: sum.gt(0) ? fmt(sum.neg()) : '0', ccy };
}

/** One order of a place request, parsed with OKX's rules (spot, cash trade mode). */
function placeRequest(p: OkxParams, ctx: OkxContext): PlaceRequest {
  instrument(p, ctx);
  const clOrdId = p.get('clOrdId') ?? '';
  if (clOrdId !== '' && !CL_ORD_ID.test(clOrdId)) throw OkxErrors.param('clOrdId');
  if (p.need('tdMode') !== 'cash') throw OkxErrors.param('tdMode');
  const side = p.need('side');
  if (side !== 'buy' && side !== 'sell') throw OkxErrors.param('side');
  const ordType = p.need('ordType');
  const sz = p.decimal('sz');
  if (sz === undefined) throw OkxErrors.empty('sz');
  const tgtCcy =
    p.get('tgtCcy') ?? (side === 'buy' && ordType === 'market' ? 'quote_ccy' : 'base_ccy');
  if (tgtCcy !== 'base_ccy' && tgtCcy !== 'quote_ccy') throw OkxErrors.param('tgtCcy');
  const market = ordType === 'market';
  if (!market && !['limit', 'post_only', 'ioc', 'fok'].includes(ordType))
    throw OkxErrors.param('ordType');
  const px = market ? null : p.decimal('px');
  if (!market && !px) throw OkxErrors.empty('px');
  // A market buy sized in quote: OKX's default for spot market buys (ccxt asks base_ccy).
  const quoteSized = market && side === 'buy' && tgtCcy === 'quote_ccy';
  return {
    side: side === 'buy' ? 'BUY' : 'SELL',
    type: market ? 'MARKET' : ordType === 'post_only' ? 'LIMIT_MAKER' : 'LIMIT',
    timeInForce: ordType === 'ioc' ? 'IOC' : ordType === 'fok' ? 'FOK' : 'GTC',
    quantity: quoteSized ? null : sz,
    quoteOrderQty: quoteSized ? sz : null,
    price: px ?? null,
    clientOrderId: clOrdId,
  };
}

/** Places one order; an item's answer (`sCode` 0, or the refusal's OKX code). */
function placeOne(p: OkxParams, ctx: OkxContext): Record<string, string> {
  const ts = String(ctx.serverNow());
  const clOrdId = p.get('clOrdId') ?? '';
  try {
    const req = placeRequest(p, ctx);
    const m = callerOf(ctx).matcher;
    // OKX keeps a client order id unique among the account's orders.
    if (req.clientOrderId !== '' && m.find({ origClientOrderId: req.clientOrderId }))
      throw OkxErrors.duplicate();
    const { order } = m.place(req);
    return {
      clOrdId,
      ordId: OkxIds.ordId(order.orderId),
      tag: '',
      ts,
      sCode: '0',
      sMsg: 'Order placed',
    };
  } catch (e) {
    const err = e instanceof BinanceError ? okxErrorOf(e) : e;
    if (!(err instanceof OkxError) || err.code.startsWith('50')) throw err;
    return { clOrdId, ordId: '', tag: '', ts, sCode: err.code, sMsg: err.message };
  }
}

/** A batch's answer: code 0 when all were placed, 2 when some, 1 when none (OKX's). */
function batchAnswer(items: Record<string, string>[]): {
  data: unknown[];
  code: string;
  msg: string;
} {
  const failed = items.filter((i) => i.sCode !== '0').length;
  if (failed === 0) return { data: items, code: '0', msg: '' };
  if (failed === items.length) return { data: items, code: '1', msg: 'All operations failed' };
  return { data: items, code: '2', msg: 'Bulk operation partially succeeded' };
}

/** Our fills matching a fills query, newest first, at most `limit` (100). */
function fills(p: OkxParams, ctx: OkxContext, lastDays: number | null): unknown[] {
  if (p.need('instType') !== 'SPOT') return [];
  const instId = p.get('instId');
  if (instId !== undefined && instId !== instIdOf(ctx.spec)) return [];
  const ordId = p.get('ordId');
  const begin = p.int('begin');
  const end = p.int('end');
  const after = p.get('after');
  const before = p.get('before');
  const olderThan = after === undefined ? undefined : OkxIds.tradeIdOfBill(after);
  const newerThan = before === undefined ? undefined : OkxIds.tradeIdOfBill(before);
  if (
    (after !== undefined && olderThan === undefined) ||
    (before !== undefined && newerThan === undefined)
  )
    throw OkxErrors.param(after !== undefined ? 'after' : 'before');
  const limit = p.limit(100, 100);
  const oldest = lastDays === null ? -Infinity : ctx.market.now() - lastDays * DAY;
  const all = callerOf(ctx).matcher.trades();
  const out: unknown[] = [];
  // Bill ids follow time: newest first is from the end of the matcher's list.
  for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
    const t = all[i]!;
    if (t.time < oldest) break;
    if (ordId !== undefined && OkxIds.ordId(t.orderId) !== ordId) continue;
    if (begin !== undefined && t.time < begin) continue;
    if (end !== undefined && t.time > end) continue;
    if (olderThan !== undefined && t.id >= olderThan) continue;
    if (newerThan !== undefined && t.id <= newerThan) continue;
    out.push(OkxJson.fill(ctx.spec, t));
  }
  return out;
}

/** The private (signed) endpoints: balance, orders, fills. */
export const TRADE_ROUTES: readonly OkxRoute[] = [
  {
    method: 'GET',
    path: '/api/v5/account/balance',
    private: true,
    limit: 10,
    windowMs: 2_000,
    handle: ([p], ctx) => {
      const want = p!.get('ccy')?.split(',');
      const rows = callerOf(ctx)
        .account.balances()
        .filter((b) => !want || want.includes(b.asset));
      const uTime = String(ctx.serverNow());
      return {
        data: [
          {
            uTime,
            totalEq: '',
            details: rows.map((b) => {
              const eq = fmt(callerOf(ctx).account.free(b.asset).plus(b.locked));
              return {
                ccy: b.asset,
                eq,
                cashBal: eq,
                availBal: b.free,
                frozenBal: b.locked,
                ordFrozen: b.locked,
                uTime,
              };
            }),
          },
        ],
      };
    },
  },
  {
    method: 'GET',
    path: '/api/v5/asset/currencies',
    private: true,
    // OKX: 6 requests per second (not per 2 s, as its trading endpoints).
    limit: 6,
    windowMs: 1_000,
    handle: (_p, ctx) => ({
      data: [ctx.spec.base, ctx.spec.quote].map((ccy) => ({
        ccy,
        name: ccy,
        chain: `${ccy}-${ccy}`,
        canDep: true,
        canWd: true,
        canInternal: true,
        minWd: '0.0001',
        maxWd: '1000000000',
        minFee: '0',
        maxFee: '0',
        wdTickSz: '8',
        mainNet: true,
      })),
    }),
  },
  {
    method: 'POST',
    path: '/api/v5/trade/order',
    private: true,
    expiring: true,
    limit: 60,
    windowMs: 2_000,
    perInstrument: true,
    handle: ([p], ctx) => batchAnswer([placeOne(p!, ctx)]),
  },
  {
    method: 'POST',
    path: '/api/v5/trade/batch-orders',
    private: true,
    expiring: true,
    limit: 300,
    windowMs: 2_000,
    perInstrument: true,
    batch: true,
    handle: (ps, ctx) => {
      if (ps.length === 0 || ps.length > 20) throw OkxErrors.param('orders');
      return batchAnswer(ps.map((p) => placeOne(p, ctx)));
    },
  },
  {
    method: 'POST',
    path: '/api/v5/trade/cancel-order',
    private: true,
    limit: 60,
    windowMs: 2_000,
    perInstrument: true,
    handle: ([p], ctx) => {
      instrument(p!, ctx);
      const o = named(p!, ctx);
      const item = (sCode: string, sMsg: string) =>
        batchAnswer([
          {
            clOrdId: o?.clientOrderId ?? p!.get('clOrdId') ?? '',
            ordId: o ? OkxIds.ordId(o.orderId) : (p!.get('ordId') ?? ''),
            ts: String(ctx.serverNow()),
            sCode,
            sMsg,
          },
        ]);
      if (!o) return item('51400', OkxErrors.cancelMissing().message);
      if (o.status === 'CANCELED' || o.status === 'EXPIRED')
        return item('51401', 'Order cancellation failed as the order has been canceled.');
      if (o.status === 'FILLED')
        return item('51402', 'Order cancellation failed as the order has been completed.');
      callerOf(ctx).matcher.cancel({ orderId: o.orderId }, null);
      return item('0', '');
    },
  },
  {
    method: 'GET',
    path: '/api/v5/trade/order',
    private: true,
    limit: 60,
    windowMs: 2_000,
    perInstrument: true,
    handle: ([p], ctx) => {
      instrument(p!, ctx);
      const o = named(p!, ctx);
      if (!o) throw OkxErrors.orderMissing();
      return { data: [OkxJson.order(ctx.spec, o, feeOf(ctx, o))] };
    },
  },
  {
    method: 'GET',
    path: '/api/v5/trade/orders-pending',
    private: true,
    limit: 60,
    windowMs: 2_000,
    handle: ([p], ctx) => {
      const instId = p!.get('instId');
      const type = p!.get('instType');
      if (
        (instId !== undefined && instId !== instIdOf(ctx.spec)) ||
        (type !== undefined && type !== 'SPOT')
      )
        return { data: [] };
      const after = p!.get('after');
      const olderThan = after === undefined ? Infinity : (OkxIds.orderId(after) ?? 0);
      const limit = p!.limit(100, 100);
      const open = callerOf(ctx)
        .matcher.openOrders()
        .filter((o) => o.orderId < olderThan)
        .sort((a, b) => b.orderId - a.orderId)
        .slice(0, limit);
      return { data: open.map((o) => OkxJson.order(ctx.spec, o, feeOf(ctx, o))) };
    },
  },
  {
    method: 'GET',
    path: '/api/v5/trade/fills-history',
    private: true,
    limit: 10,
    windowMs: 2_000,
    handle: ([p], ctx) => ({ data: fills(p!, ctx, 90) }),
  },
  {
    method: 'GET',
    path: '/api/v5/trade/fills',
    private: true,
    limit: 60,
    windowMs: 2_000,
    handle: ([p], ctx) => ({ data: fills(p!, ctx, 3) }),
  },
];
