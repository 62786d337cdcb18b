import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Decimal } from '../../trading/core/decimal.js';
import type { Instrument } from '../../trading/model/instrument.js';
import type { Ledger } from '../../trading/portfolio/ledger.js';
import { ProblemSchema } from '../problem.js';

/** A balance: cash, the starting cash, and equity (cash plus positions at the last price). */
const BalanceView = Type.Object({
  currency: Type.String(),
  cash: Type.String(),
  startingCash: Type.String(),
  equity: Type.String(),
});

/** What `/balances` reads. */
export interface BalanceRoutesOptions {
  readonly ledger: Pick<Ledger, 'cash' | 'startingCash' | 'equity'>;
  readonly instruments: readonly Instrument[];
  /** The last traded price of an instrument, null before the first. */
  lastPrice(instrumentId: string): Decimal | null;
}

/**
 * `GET /balances`: the paper account's cash per quote currency of its instruments, from the
 * trading core's ledger; equity marks each position at its last price (entry cost before any).
 */
export const balanceRoutes: FastifyPluginAsync<BalanceRoutesOptions> = async (app, opts) => {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/balances',
    {
      onRequest: app.requires('positions:read'),
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
      const { ledger } = opts;
      const marks = new Map<string, Decimal>();
      const quote = new Map<string, string>();
      for (const i of opts.instruments) {
        quote.set(i.id, i.quote);
        const last = opts.lastPrice(i.id);
        if (last) marks.set(i.id, last);
      }
      const currencies = [...new Set(opts.instruments.map((i) => i.quote))].sort();
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
};
