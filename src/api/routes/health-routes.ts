import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';

/** What `/health` reads. */
export interface HealthOptions {
  /** Whether any order's outcome is still unknown. */
  unresolved(): boolean;
}

/** `GET /health`: up, and whether any order's outcome is still unknown. */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
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
    async () => ({ status: 'ok' as const, unresolvedOrders: opts.unresolved() }),
  );
};
