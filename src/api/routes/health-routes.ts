import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { HealthReport } from '../../monitoring/health-checks.js';
import { API_ERRORS } from '../error-catalogue.js';
import { PROBLEM_TYPE } from '../openapi-truth.js';

/** What the health routes read. */
export interface HealthOptions {
  /** Whether any order's outcome is still unknown (`/health`). */
  unresolved(): boolean;
  /** Runs the readiness checks (`/health/ready`); never rejects. */
  ready(): Promise<HealthReport>;
}

const CheckSchema = Type.Object({
  name: Type.String(),
  status: Type.Union([Type.Literal('pass'), Type.Literal('fail')]),
  durationMs: Type.Integer(),
  detail: Type.String(),
});

/** The 503 of `/health/ready`: a problem (`NOT_READY`) naming the failed checks, with every result. */
const NotReadySchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.String(),
  failed: Type.Array(Type.String()),
  checks: Type.Array(CheckSchema),
});

// A load balancer's probe must not be refused by the API's rate limit (counted in Redis when
// REDIS_URL is set: with Redis down, a limited route answers 500, not 503 naming `redis`).
// `/health` too: old clients probe it as "the process answers", which a 429 or 500 would deny.
const probeConfig = { rateLimit: false } as const;

/**
 * `GET /health` (kept for old clients: up, and whether any order's outcome is unknown),
 * `GET /health/live` (the process answers; no I/O) and `GET /health/ready` (every readiness
 * check: 200 with the results, or 503 `application/problem+json` `NOT_READY` naming the failed
 * ones). No token: a load balancer calls them. Answers carry no secret: check details are
 * written by the checks, never a driver's message (`docs/operations.md`).
 */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    '/health',
    {
      config: probeConfig,
      schema: {
        tags: ['health'],
        response: {
          200: Type.Object({ status: Type.Literal('ok'), unresolvedOrders: Type.Boolean() }),
        },
      },
    },
    async () => ({ status: 'ok' as const, unresolvedOrders: opts.unresolved() }),
  );
  api.get(
    '/health/live',
    {
      config: probeConfig,
      schema: {
        tags: ['health'],
        description: 'Liveness: the process answers. No I/O; for a load balancer or orchestrator.',
        response: { 200: Type.Object({ status: Type.Literal('pass') }) },
      },
    },
    async (_req, reply) => {
      void reply.header('cache-control', 'no-store');
      return { status: 'pass' as const };
    },
  );
  api.get(
    '/health/ready',
    {
      config: probeConfig,
      schema: {
        tags: ['health'],
        description:
          'Readiness: database, Redis and Memcached when configured, the venue links, no order ' +
          'unresolved past the bound. 200 with each check, or 503 naming the failed ones.',
        response: {
          200: Type.Object({ status: Type.Literal('pass'), checks: Type.Array(CheckSchema) }),
          503: {
            description: 'A readiness check failed: NOT_READY (docs/operations.md)',
            content: { [PROBLEM_TYPE]: { schema: NotReadySchema } },
          },
        },
      },
    },
    async (_req, reply) => {
      void reply.header('cache-control', 'no-store');
      const report = await opts.ready();
      if (report.status === 'pass') return { status: 'pass' as const, checks: [...report.checks] };
      const failed = report.checks.filter((c) => c.status === 'fail');
      const { status, title } = API_ERRORS.NOT_READY;
      return reply
        .code(503)
        .type(PROBLEM_TYPE)
        .send({
          type: 'urn:kairos:error:NOT_READY',
          title,
          status,
          code: 'NOT_READY',
          detail: failed.map((c) => `${c.name}: ${c.detail}`).join('; '),
          failed: failed.map((c) => c.name),
          checks: [...report.checks],
        });
    },
  );
};
