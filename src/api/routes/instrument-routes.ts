import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requires } from '../auth-guard.js';
import type { ApiDeps } from '../deps.js';
import { ProblemSchema } from '../problem.js';

/** An instrument and its trading rules (decimals as strings; fees as fractions of notional). */
const InstrumentView = Type.Object({
  id: Type.String(),
  base: Type.String(),
  quote: Type.String(),
  tickSize: Type.String(),
  lotSize: Type.String(),
  minQuantity: Type.String(),
  minNotional: Type.String(),
  makerFee: Type.String(),
  takerFee: Type.String(),
  lastPrice: Type.Union([Type.String(), Type.Null()]),
});

/** `GET /instruments`: what the server trades, with each instrument's grid and last price. */
export async function instrumentRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/instruments',
    {
      onRequest: requires(deps, 'market-data:read'),
      schema: {
        tags: ['market data'],
        response: {
          200: Type.Object({ instruments: Type.Array(InstrumentView) }),
          401: ProblemSchema,
          403: ProblemSchema,
        },
      },
    },
    async () => ({
      instruments: deps.instruments.map((i) => ({
        id: i.id,
        base: i.base,
        quote: i.quote,
        tickSize: i.tickSize.toFixed(),
        lotSize: i.lotSize.toFixed(),
        minQuantity: i.minQuantity.toFixed(),
        minNotional: i.minNotional.toFixed(),
        makerFee: i.makerFee.toFixed(),
        takerFee: i.takerFee.toFixed(),
        lastPrice: deps.core.lastPrice(i.id)?.toFixed() ?? null,
      })),
    }),
  );
}
