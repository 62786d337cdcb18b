import { fmt, num8 } from '../binance/format.js';
import type { MarketTick } from '../binance/market.js';
import type { SimOrder, SimTrade } from '../binance/sim-order.js';
import type { SymbolSpec } from '../binance/symbol-spec.js';

/** OKX's order ids are long numbers; ours count from this (per venue). */
const ORDER_ID_BASE = 600_000_000_000;
/**
 * Bill ids (one per fill) count from this; trade ids are the matcher's. 18 digits, past 2^53, as
 * OKX's are (`317321390265368576` in its docs): a client reading them as numbers loses digits.
 */
const BILL_ID_BASE = 317_321_390_265_368_576n;

/** The instrument id of a spec: `BTC-USDT`. */
export const instIdOf = (s: SymbolSpec): string => `${s.base}-${s.quote}`;

/** OKX's `ordId` of a simulator order, and back (undefined when it is not one of ours). */
export const OkxIds = {
  ordId: (orderId: number): string => String(ORDER_ID_BASE + orderId),
  orderId: (ordId: string): number | undefined => {
    const n = /^\d{1,18}$/.test(ordId) ? Number(ordId) - ORDER_ID_BASE : NaN;
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  },
  billId: (tradeId: number): string => String(BILL_ID_BASE + BigInt(tradeId)),
  tradeIdOfBill: (billId: string): number | undefined => {
    if (!/^\d{1,19}$/.test(billId)) return undefined;
    const n = Number(BigInt(billId) - BILL_ID_BASE);
    return Number.isSafeInteger(n) ? n : undefined;
  },
};

const STATE: Readonly<Record<SimOrder['status'], string>> = {
  NEW: 'live',
  PARTIALLY_FILLED: 'partially_filled',
  FILLED: 'filled',
  CANCELED: 'canceled',
  EXPIRED: 'canceled',
};

/** OKX's `ordType` of a simulator order. */
function ordType(o: SimOrder): string {
  if (o.type === 'MARKET') return 'market';
  if (o.type === 'LIMIT_MAKER') return 'post_only';
  if (o.timeInForce === 'IOC') return 'ioc';
  if (o.timeInForce === 'FOK') return 'fok';
  return 'limit';
}

/**
 * OKX's JSON shapes (API v5, spot, cash trade mode): instruments, orders, fills, candles,
 * public trades, the trading account's balance.
 */
export const OkxJson = {
  instrument(s: SymbolSpec): Record<string, string> {
    return {
      instType: 'SPOT',
      instId: instIdOf(s),
      instFamily: '',
      uly: '',
      baseCcy: s.base,
      quoteCcy: s.quote,
      settleCcy: '',
      category: '1',
      ctMult: '',
      ctType: '',
      ctVal: '',
      ctValCcy: '',
      expTime: '',
      lever: '',
      listTime: '1548133413000',
      lotSz: fmt(s.stepSize),
      minSz: fmt(s.minQty),
      maxLmtSz: fmt(s.maxQty),
      maxMktSz: fmt(s.maxNotional),
      maxLmtAmt: fmt(s.maxNotional),
      maxMktAmt: fmt(s.maxNotional),
      tickSz: fmt(s.tickSize),
      optType: '',
      stk: '',
      state: 'live',
      ruleType: 'normal',
    };
  },

  order(s: SymbolSpec, o: SimOrder, fee: { amount: string; ccy: string }): Record<string, string> {
    const filled = o.executedQty;
    const avg = filled.gt(0) ? o.cummulativeQuoteQty.div(filled) : null;
    const quoteSized = o.type === 'MARKET' && o.origQuoteOrderQty.gt(0);
    return {
      instType: 'SPOT',
      instId: instIdOf(s),
      ordId: OkxIds.ordId(o.orderId),
      clOrdId: o.clientOrderId,
      tag: '',
      px: o.type === 'MARKET' ? '' : fmt(o.price),
      sz: fmt(quoteSized ? o.origQuoteOrderQty : o.origQty),
      tgtCcy: quoteSized ? 'quote_ccy' : 'base_ccy',
      ordType: ordType(o),
      side: o.side === 'BUY' ? 'buy' : 'sell',
      posSide: 'net',
      tdMode: 'cash',
      accFillSz: fmt(filled),
      fillPx: '',
      fillSz: '',
      avgPx: avg ? fmt(avg) : '',
      state: STATE[o.status],
      fee: fee.amount,
      feeCcy: fee.ccy,
      cancelSource: o.status === 'CANCELED' ? '1' : o.status === 'EXPIRED' ? '14' : '',
      cTime: String(o.time),
      uTime: String(o.updateTime),
      fillTime: '',
      reduceOnly: 'false',
    };
  },

  /** One of our fills: the fee is negative, in the asset charged (the one received). */
  fill(s: SymbolSpec, t: SimTrade): Record<string, string> {
    return {
      instType: 'SPOT',
      instId: instIdOf(s),
      tradeId: String(t.id),
      ordId: OkxIds.ordId(t.orderId),
      clOrdId: t.clientOrderId,
      billId: OkxIds.billId(t.id),
      subType: t.side === 'BUY' ? '1' : '2',
      tag: '',
      fillPx: fmt(t.price),
      fillSz: fmt(t.qty),
      fillIdxPx: '',
      fillPnl: '0',
      side: t.side === 'BUY' ? 'buy' : 'sell',
      posSide: 'net',
      execType: t.isMaker ? 'M' : 'T',
      feeCcy: t.commissionAsset,
      fee: t.commission.gt(0) ? fmt(t.commission.neg()) : '0',
      ts: String(t.time),
      fillTime: String(t.time),
    };
  },

  /** A public trade (`GET /api/v5/market/trades`). */
  trade(s: SymbolSpec, t: MarketTick): Record<string, string> {
    return {
      instId: instIdOf(s),
      tradeId: String(t.id),
      px: num8(t.price),
      sz: num8(t.qty),
      side: t.isBuyerMaker ? 'sell' : 'buy',
      ts: String(t.ts),
      count: '1',
    };
  },
};
