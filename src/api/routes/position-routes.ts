import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AccountAccess } from '../account-access.js';
import type { PortfolioReads } from '../portfolio-reads.js';
import { PositionView } from '../portfolio-views.js';
import { AccountQuery } from '../order-schemas.js';
import { ProblemSchema } from '../problem.js';

/** What `/positions` reads. */
export interface PositionRoutesOptions {
  readonly reads: PortfolioReads;
  readonly access: AccountAccess;
}

/**
 * `GET /positions?accountId`: the positions of the accounts you see (or of one), from each
 * account's trading core, here or on the instance that owns it (a live account's quantity: its
 * venue's holding, as last confirmed); each row names its account.
 */
export const positionRoutes: FastifyPluginAsync<PositionRoutesOptions> = async (app, opts) => {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/positions',
    {
      onRequest: app.requires('positions:read'),
      schema: {
        tags: ['portfolio'],
        querystring: AccountQuery,
        response: {
          200: Type.Object({ positions: Type.Array(PositionView) }),
          401: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
          503: ProblemSchema,
        },
      },
    },
    async (req) => {
      const lists = await Promise.all(
        opts.access
          .readable(req.claims, req.query.accountId)
          .map((a) => opts.reads.of(req, a, 'positions', req.query.accountId === undefined)),
      );
      return { positions: lists.flat() as Static<typeof PositionView>[] };
    },
  );
};
