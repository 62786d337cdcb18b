import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Decimal } from '../../trading/core/decimal.js';
import { instrumentToJson, type Instrument } from '../../trading/model/instrument.js';
import type { VenueInstrument } from '../deps.js';
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
  venue: Type.Union([Type.String(), Type.Null()], {
    description:
      "the venue (`kairos serve --venue`) it trades on, null for the replay's (`--data`); on the WebSocket a venue's is `<venue>:<id>`",
  }),
});

/** What `/instruments` reads. */
export interface InstrumentRoutesOptions {
  readonly instruments: readonly Instrument[];
  /** The last traded price of an instrument, null before the first. */
  lastPrice(instrumentId: string): Decimal | null;
  /** The instruments of every venue the server has (`VenueMarketPort.instruments`). */
  venues?(): readonly VenueInstrument[];
}

/**
 * `GET /instruments`: what the server trades, with each instrument's grid and last price: the
 * replay's (`venue: null`), then each venue's (`venue` named).
 */
export const instrumentRoutes: FastifyPluginAsync<InstrumentRoutesOptions> = async (app, opts) => {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/instruments',
    {
      onRequest: app.requires('market-data:read'),
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
      instruments: [
        ...opts.instruments.map((i) => ({
          ...instrumentToJson(i),
          lastPrice: opts.lastPrice(i.id)?.toFixed() ?? null,
          venue: null,
        })),
        ...(opts.venues?.() ?? []).map((v) => ({
          ...instrumentToJson(v.instrument),
          lastPrice: v.lastPrice?.toFixed() ?? null,
          venue: v.venue,
        })),
      ],
    }),
  );
};
