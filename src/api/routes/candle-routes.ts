import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Bar } from '../../trading/data/market-data.js';
import type { Instrument } from '../../trading/model/instrument.js';
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

/** What `/candles` reads. */
export interface CandleRoutesOptions {
  readonly instruments: readonly Instrument[];
  /** The last bars of the market feed (a bounded buffer), oldest first. */
  readonly candles: { recent(instrumentId: string, limit: number): readonly Bar[] };
}

/** `GET /candles?instrumentId&limit`: the last bars of the market feed, oldest first. */
export const candleRoutes: FastifyPluginAsync<CandleRoutesOptions> = async (app, opts) => {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/candles',
    {
      onRequest: app.requires('market-data:read'),
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
      if (!opts.instruments.some((i) => i.id === instrumentId)) {
        throw apiError('UNKNOWN_INSTRUMENT', `instrumentId: unknown instrument "${instrumentId}"`);
      }
      const bars = opts.candles.recent(instrumentId, Number(req.query.limit ?? 100));
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
};
