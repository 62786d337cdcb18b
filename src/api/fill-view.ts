import { Type } from '@fastify/type-provider-typebox';
import type { Fill } from '../trading/model/fill.js';

/** A fill as the API shows it (decimals as strings). */
export const FillView = Type.Object({
  venue: Type.String(),
  tradeId: Type.String(),
  accountId: Type.String(),
  clientOrderId: Type.String(),
  instrumentId: Type.String(),
  side: Type.String(),
  price: Type.String(),
  quantity: Type.String(),
  fee: Type.String(),
  feeCurrency: Type.String(),
  liquidity: Type.String(),
  ts: Type.Integer(),
});

export function fillView(f: Fill) {
  return {
    venue: f.venue,
    tradeId: f.tradeId,
    accountId: f.accountId,
    clientOrderId: f.clientOrderId,
    instrumentId: f.instrumentId,
    side: f.side,
    price: f.price.toFixed(),
    quantity: f.quantity.toFixed(),
    fee: f.fee.amount.toFixed(),
    feeCurrency: f.fee.currency,
    liquidity: f.liquidity,
    ts: f.ts,
  };
}
