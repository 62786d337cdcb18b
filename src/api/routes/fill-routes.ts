import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AccountAccess } from '../account-access.js';
import type { OrderReads } from '../deps.js';
import { FillView, fillView } from '../fill-view.js';
import { AccountIdString } from '../order-schemas.js';
import { ProblemSchema } from '../problem.js';
import { QueryParams } from '../query-params.js';

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
