import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requires } from '../auth-guard.js';
import type { ApiDeps } from '../deps.js';
import { ProblemSchema, apiError } from '../problem.js';
import { QueryParams } from '../query-params.js';

/** A candle (market data may be float64: numbers, not decimal strings). */
const CandleView = Type.Object({
  openTime: Type.Integer(),
  closeTime: Type.Integer(),
  open: Type.Number(),
  high: Type.Number(),
  low: Type.Number(),
  close: Type.Number(),
  volume: Type.Number(),
});

/** `GET /candles?instrumentId&limit`: the last bars of the market feed, oldest first. */
export async function candleRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/candles',
    {
      onRequest: requires(deps, 'market-data:read'),
      schema: {
        tags: ['market data'],
        querystring: Type.Object(
          {
            instrumentId: Type.String({ minLength: 1, maxLength: 64 }),
            limit: QueryParams.limit(1000, 100),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ instrumentId: Type.String(), candles: Type.Array(CandleView) }),
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          422: ProblemSchema,
        },
      },
    },
    async (req) => {
      const { instrumentId } = req.query;
      if (!deps.instruments.some((i) => i.id === instrumentId)) {
        throw apiError('UNKNOWN_INSTRUMENT', `instrumentId: unknown instrument "${instrumentId}"`);
      }
      const bars = deps.candles.recent(instrumentId, Number(req.query.limit ?? 100));
      return {
        instrumentId,
        candles: bars.map((b) => ({
          openTime: b.openTime,
          closeTime: b.closeTime,
          open: b.open,
          high: b.high,
          low: b.low,
          close: b.close,
          volume: b.volume,
        })),
      };
    },
  );
}
