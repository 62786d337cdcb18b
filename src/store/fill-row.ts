import type { Selectable } from 'kysely';
import { money, price, quantity } from '../trading/core/money.js';
import type { Fill } from '../trading/model/fill.js';
import type { FillsTable } from './schema.js';

/** A stored fill row as a fill. */
export function toFill(r: Selectable<FillsTable>): Fill {
  return {
    venue: r.venue,
    tradeId: r.trade_id,
    accountId: r.account_id,
    clientOrderId: r.client_order_id,
    instrumentId: r.instrument_id,
    side: r.side as Fill['side'],
    price: price(r.price),
    quantity: quantity(r.quantity),
    fee: money(r.fee, r.fee_currency),
    liquidity: r.liquidity as Fill['liquidity'],
    ts: Number(r.ts),
  };
}
