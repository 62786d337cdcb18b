import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Fill } from '../../trading/model/fill.js';
import type { AccountAccess } from '../account-access.js';
import type { OrderReads } from '../deps.js';
import { AccountIdString } from '../order-schemas.js';
import { ProblemSchema } from '../problem.js';
import { QueryParams } from '../query-params.js';

/** A fill as the API shows it (decimals as strings). */
const FillView = Type.Object({
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

function fillView(f: Fill) {
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

/** What `/fills` reads. */
export interface FillRoutesOptions {
  readonly reads: Pick<OrderReads, 'fillsPage'>;
  readonly access: AccountAccess;
}

/**
 * `GET /fills?limit&before&accountId`: the fills of the orders you see (your accounts', your own
 * on the shared account), newest first, in cursor pages.
 */
export const fillRoutes: FastifyPluginAsync<FillRoutesOptions> = async (app, opts) => {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/fills',
    {
      onRequest: app.requires('orders:read'),
      schema: {
        tags: ['orders'],
        querystring: Type.Object(
          {
            limit: QueryParams.limit(500, 100),
            before: Type.Optional(Type.String({ maxLength: 300 })),
            accountId: Type.Optional(AccountIdString()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            fills: Type.Array(FillView),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (req) => {
      const scope = await opts.access.orderScope(req.claims, req.query.accountId);
      const page = await opts.reads.fillsPage(scope, {
        limit: Number(req.query.limit ?? 100),
        ...(req.query.before ? { before: req.query.before } : {}),
      });
      return { fills: page.fills.map(fillView), next: page.next };
    },
  );
};
