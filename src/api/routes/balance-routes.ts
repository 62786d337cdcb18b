import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Decimal } from '../../trading/core/decimal.js';
import { requires } from '../auth-guard.js';
import type { ApiDeps } from '../deps.js';
import { ProblemSchema } from '../problem.js';

/** A balance: cash, the starting cash, and equity (cash plus positions at the last price). */
const BalanceView = Type.Object({
  currency: Type.String(),
  cash: Type.String(),
  startingCash: Type.String(),
  equity: Type.String(),
});

/**
 * `GET /balances`: the paper account's cash per quote currency of its instruments, from the
 * trading core's ledger; equity marks each position at its last price (entry cost before any).
 */
export async function balanceRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/balances',
    {
      onRequest: requires(deps, 'positions:read'),
      schema: {
        tags: ['portfolio'],
        response: {
          200: Type.Object({ balances: Type.Array(BalanceView) }),
          401: ProblemSchema,
          403: ProblemSchema,
        },
      },
    },
    async () => {
      const { ledger } = deps.core;
      const marks = new Map<string, Decimal>();
      const quote = new Map<string, string>();
      for (const i of deps.instruments) {
        quote.set(i.id, i.quote);
        const last = deps.core.lastPrice(i.id);
        if (last) marks.set(i.id, last);
      }
      const currencies = [...new Set(deps.instruments.map((i) => i.quote))].sort();
      return {
        balances: currencies.map((currency) => ({
          currency,
          cash: ledger.cash(currency).toFixed(),
          startingCash: ledger.startingCash(currency).toFixed(),
          equity: ledger.equity(currency, marks, (id) => quote.get(id) ?? '').toFixed(),
        })),
      };
    },
  );
}
