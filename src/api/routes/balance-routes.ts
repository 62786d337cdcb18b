import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AccountAccess } from '../account-access.js';
import type { PortfolioReads } from '../portfolio-reads.js';
import { BalanceView } from '../portfolio-views.js';
import { AccountQuery } from '../order-schemas.js';
import { ProblemSchema } from '../problem.js';

/** What `/balances` reads. */
export interface BalanceRoutesOptions {
  readonly reads: PortfolioReads;
  readonly access: AccountAccess;
}

/**
 * `GET /balances?accountId`: each account's cash per quote currency of its instruments, from its
 * trading core's ledger, here or on the instance that owns it (the accounts you see, or one); equity marks each position at its last
 * price (entry cost before any). A live account's are its venue's, as last confirmed
 * (`source: venue`, `confirmedAt`). Each row names its account.
 */
export const balanceRoutes: FastifyPluginAsync<BalanceRoutesOptions> = async (app, opts) => {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/balances',
    {
      onRequest: app.requires('positions:read'),
      schema: {
        tags: ['portfolio'],
        querystring: AccountQuery,
        response: {
          200: Type.Object({ balances: Type.Array(BalanceView) }),
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
          .map((a) => opts.reads.of(req, a, 'balances', req.query.accountId === undefined)),
      );
      return { balances: lists.flat() as Static<typeof BalanceView>[] };
    },
  );
};
