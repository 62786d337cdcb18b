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
  readonly candles: {
    recent(instrumentId: string, limit: number): readonly Bar[];
    /**
     * The last closed bars of any symbol a server's venue lists, backfilled from the venue and
     * the store (absent: the server has no venue). `VENUE_NOT_CONFIGURED`, `UNKNOWN_INSTRUMENT`.
     */
    venue?(venue: string, instrumentId: string, limit: number): Promise<readonly Bar[]>;
  };
}

/**
 * `GET /candles?instrumentId&limit[&venue]`: the last bars of the market feed (the replay), or with
 * `venue` of a venue's market (any symbol it lists), oldest first.
 */
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
            venue: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 32,
                description:
                  "one of the server's venues (kairos serve --venue): that venue's bars of instrumentId, backfilled from it and the store",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ instrumentId: Type.String(), candles: Type.Array(CandleView) }),
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          422: ProblemSchema,
          503: ProblemSchema,
        },
      },
    },
    async (req) => {
      const { instrumentId, venue } = req.query;
      const limit = Number(req.query.limit ?? 100);
      let bars: readonly Bar[];
      if (venue !== undefined) {
        if (!opts.candles.venue)
          throw apiError(
            'VENUE_NOT_CONFIGURED',
            `venue: this server has no venue "${venue}" (it has: none; start it with --venue)`,
          );
        bars = await opts.candles.venue(venue, instrumentId, limit);
      } else if (!opts.instruments.some((i) => i.id === instrumentId)) {
        throw apiError(
          'UNKNOWN_INSTRUMENT',
          `instrumentId: unknown instrument "${instrumentId}" (a venue's: add venue=<id>)`,
        );
      } else bars = opts.candles.recent(instrumentId, limit);
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
