import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { openCost, unrealizedPnl } from '../../trading/model/position.js';
import { requires } from '../auth-guard.js';
import type { ApiDeps } from '../deps.js';
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

/** `GET /positions`: the paper account's positions from the trading core's ledger. */
export async function positionRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/positions',
    {
      onRequest: requires(deps, 'positions:read'),
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
      positions: deps.core.ledger.allPositions().map((p) => {
        const mark = deps.core.lastPrice(p.instrumentId);
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
}
