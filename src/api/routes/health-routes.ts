import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';

/** `GET /health`: up, and whether any order's outcome is still unknown. */
export async function healthRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/health',
    {
      schema: {
        tags: ['health'],
        response: {
          200: Type.Object({ status: Type.Literal('ok'), unresolvedOrders: Type.Boolean() }),
        },
      },
    },
    async () => ({ status: 'ok' as const, unresolvedOrders: deps.core.unresolved() }),
  );
}
