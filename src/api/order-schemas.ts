import { Type } from '@fastify/type-provider-typebox';
import type { Order } from '../trading/model/order.js';
import { DECIMAL_PATTERN, DECIMAL_RULE } from './number-grammar.js';

/**
 * A decimal as a string in its one spelling (`number-grammar.ts`): `"0.015"`, never `"00.015"`,
 * `"-0"`, `".5"` or `"1e3"`. `description` says what the field is; the rule is added to it.
 */
export const decimalString = (description = 'a non-negative decimal, e.g. "0.015"') =>
  Type.String({ pattern: DECIMAL_PATTERN, description: `${description}: ${DECIMAL_RULE}` });

/** A decimal field of a request (`decimalString`). */
export const DecimalString = decimalString();

/** An account id (`desk`, `acc-…`), as bodies, paths and queries name one. */
export const AccountIdString = (description?: string) =>
  Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', ...(description ? { description } : {}) });

/** A read route's `?accountId=`: one account you see (default: every account you see). */
export const AccountQuery = Type.Object(
  { accountId: Type.Optional(AccountIdString()) },
  { additionalProperties: false },
);

/** The body of `POST /orders`: unknown fields are refused (no mass assignment). */
export const OrderBody = Type.Object(
  {
    instrumentId: Type.String({ minLength: 1, maxLength: 64 }),
    side: Type.Union([Type.Literal('BUY'), Type.Literal('SELL')]),
    type: Type.Optional(
      Type.Union([
        Type.Literal('MARKET'),
        Type.Literal('LIMIT'),
        Type.Literal('STOP_MARKET'),
        Type.Literal('STOP_LIMIT'),
      ]),
    ),
    quantity: DecimalString,
    price: Type.Optional(DecimalString),
    triggerPrice: Type.Optional(DecimalString),
    timeInForce: Type.Optional(
      Type.Union([Type.Literal('GTC'), Type.Literal('IOC'), Type.Literal('FOK')]),
    ),
    postOnly: Type.Optional(Type.Boolean()),
    reduceOnly: Type.Optional(Type.Boolean()),
    tag: Type.Optional(Type.String({ maxLength: 64 })),
    accountId: Type.Optional(
      AccountIdString('one of your accounts (default: your default account, else the shared one)'),
    ),
  },
  { additionalProperties: false },
);

/** An order as the API shows it (decimals as strings; the owner is implied). */
export const OrderView = Type.Object({
  clientOrderId: Type.String(),
  accountId: Type.String(),
  instrumentId: Type.String(),
  side: Type.String(),
  type: Type.String(),
  timeInForce: Type.String(),
  quantity: Type.String(),
  price: Type.Union([Type.String(), Type.Null()]),
  triggerPrice: Type.Union([Type.String(), Type.Null()]),
  postOnly: Type.Boolean(),
  reduceOnly: Type.Boolean(),
  status: Type.String(),
  filledQuantity: Type.String(),
  averagePrice: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  tag: Type.Union([Type.String(), Type.Null()]),
});

/** The API's view of an order. */
export function orderView(o: Order) {
  return {
    clientOrderId: o.clientOrderId,
    accountId: o.accountId,
    instrumentId: o.instrumentId,
    side: o.side,
    type: o.type,
    timeInForce: o.timeInForce,
    quantity: o.quantity.toFixed(),
    price: o.price?.toFixed() ?? null,
    triggerPrice: o.triggerPrice?.toFixed() ?? null,
    postOnly: o.postOnly,
    reduceOnly: o.reduceOnly,
    status: o.status,
    filledQuantity: o.filledQuantity.toFixed(),
    averagePrice: o.filledQuantity.gt(0) ? o.filledNotional.div(o.filledQuantity).toFixed() : null,
    reason: o.reason,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    tag: o.tag,
  };
}
