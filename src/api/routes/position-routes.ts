import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { openCost, unrealizedPnl } from '../../trading/model/position.js';
import type { Decimal } from '../../trading/core/decimal.js';
import type { Ledger } from '../../trading/portfolio/ledger.js';
import { ProblemSchema } from '../problem.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);

/** A position as the API shows it: decimals as strings, quantity signed (< 0 short). */
const PositionView = Type.Object({
  instrumentId: Type.String(),
  quantity: Type.String(),
  averagePrice: NullableString,
  lastPrice: NullableString,
  unrealizedPnl: NullableString,
  realizedPnl: Type.String(),
  fees: Type.String(),
  openedAt: Type.Union([Type.Integer(), Type.Null()]),
});

/** What `/positions` reads. */
export interface PositionRoutesOptions {
  readonly ledger: Pick<Ledger, 'allPositions'>;
  /** The last traded price of an instrument, null before the first. */
  lastPrice(instrumentId: string): Decimal | null;
}

/** `GET /positions`: the paper account's positions from the trading core's ledger. */
export const positionRoutes: FastifyPluginAsync<PositionRoutesOptions> = async (app, opts) => {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/positions',
    {
      onRequest: app.requires('positions:read'),
      schema: {
        tags: ['portfolio'],
        response: {
          200: Type.Object({ positions: Type.Array(PositionView) }),
          401: ProblemSchema,
          403: ProblemSchema,
        },
      },
    },
    async () => ({
      positions: opts.ledger.allPositions().map((p) => {
        const mark = opts.lastPrice(p.instrumentId);
        const open = !p.quantity.eq(0);
        return {
          instrumentId: p.instrumentId,
          quantity: p.quantity.toFixed(),
          averagePrice: open ? openCost(p).div(p.quantity).toFixed() : null,
          lastPrice: mark?.toFixed() ?? null,
          unrealizedPnl: mark ? unrealizedPnl(p, mark).toFixed() : null,
          realizedPnl: p.realizedPnl.toFixed(),
          fees: p.fees.toFixed(),
          openedAt: p.openedAt,
        };
      }),
    }),
  );
};
