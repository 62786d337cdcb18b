import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Bar } from '../trading/data/market-data.js';
import type { ApiDeps } from './deps.js';
import { refuseHostileInput } from './hostile-input.js';
import { declareAnswers } from './openapi-truth.js';
import { clientErrorProblem, frameworkProblem, registerProblems, sendProblem } from './problem.js';
import { authRoutes } from './routes/auth-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { backtestRoutes } from './routes/backtest-routes.js';
import { balanceRoutes } from './routes/balance-routes.js';
import { candleRoutes } from './routes/candle-routes.js';
import { credentialRoutes } from './routes/credential-routes.js';
import { docsRoutes } from './routes/docs-routes.js';
import { fillRoutes } from './routes/fill-routes.js';
import { instrumentRoutes } from './routes/instrument-routes.js';
import { positionRoutes } from './routes/position-routes.js';
import { riskRoutes } from './routes/risk-routes.js';
import { strategyRoutes } from './routes/strategy-routes.js';
import { userRoutes } from './routes/user-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { orderRoutes } from './routes/order-routes.js';
import { wsGateway } from './ws-gateway.js';

/** Request bodies above this are refused with 413. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The HTTP API: Fastify with TypeBox schemas (unknown fields refused, secrets never in a
 * response schema), `application/problem+json` errors, OpenAPI at `/docs` (a page) and
 * `/docs/json`, and the WebSocket gateway at `/ws`.
 *
 * @example
 * const app = await buildApp(deps); await app.listen({ port: 8080 });
 */
export async function buildApp(
  deps: ApiDeps & { readonly bars: { subscribe(fn: (bar: Bar) => void): () => void } },
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Router errors (a bad %-escape in the URL…) answer as problems with our codes.
    frameworkErrors: (err, _req, reply) => {
      const [status, code] = frameworkProblem(err) ?? [400, 'BAD_REQUEST'];
      return sendProblem(reply, status, code, err.message);
    },
    clientErrorHandler: clientErrorProblem,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  registerProblems(app, deps.log);
  refuseHostileInput(app);
  declareAnswers(app);
  const verifiedSub = verifiedSubject(deps);
  await app.register(rateLimit, {
    max: deps.rateLimit?.perMinute ?? 6_000,
    timeWindow: 60_000,
    // Per client address and user: the subject of a token that verifies, never one the client
    // merely asserts (a forged token would otherwise buy a fresh budget per made-up subject).
    keyGenerator: (req) => `${req.ip}|${verifiedSub(req.headers.authorization)}`,
    ...(deps.rateLimit?.redis ? { redis: deps.rateLimit.redis, nameSpace: 'kairos:api-rl:' } : {}),
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      message: `too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
    }),
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Kairos API', version: '0.1.0' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });
  await docsRoutes(app);
  await healthRoutes(app, deps);
  await authRoutes(app, deps);
  await orderRoutes(app, deps);
  await positionRoutes(app, deps);
  await balanceRoutes(app, deps);
  await fillRoutes(app, deps);
  await instrumentRoutes(app, deps);
  await candleRoutes(app, deps);
  await riskRoutes(app, deps);
  await userRoutes(app, deps);
  await credentialRoutes(app, deps);
  await auditRoutes(app, deps);
  await strategyRoutes(app, deps);
  await backtestRoutes(app, deps);
  await wsGateway(app, deps);
  return app;
}

/**
 * The `sub` of a bearer token that verifies (signature, expiry, audience), or '' (a rate-limit
 * key). Remembers recent answers, so a token is verified about once however often it is sent.
 */
function verifiedSubject(deps: ApiDeps): (authorization: string | undefined) => string {
  const seen = new Map<string, { sub: string; until: number }>();
  return (authorization) => {
    if (!authorization?.startsWith('Bearer ')) return '';
    const token = authorization.slice('Bearer '.length).trim();
    const now = deps.now();
    const hit = seen.get(token);
    if (hit && hit.until > now) return hit.sub;
    let entry = { sub: '', until: now + 60_000 };
    try {
      const claims = deps.tokens.verifyAccess(token);
      entry = { sub: claims.sub, until: Math.min(claims.exp * 1000, now + 60_000) };
    } catch {
      // not a valid token: the address alone is the key
    }
    if (seen.size >= 10_000) seen.clear();
    seen.set(token, entry);
    return entry.sub;
  };
}
