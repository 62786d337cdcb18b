import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { noopLogger } from '../trading/core/logger.js';
import { AccountAccess } from './account-access.js';
import { accountState } from './account-state.js';
import { authentication } from './authenticated-context.js';
import type { ApiPorts } from './deps.js';
import { refuseHostileInput } from './hostile-input.js';
import { parseJsonBodies } from './json-body.js';
import { logRequests, requestId } from './request-log.js';
import { countRequests } from './request-metrics.js';
import { declareAnswers, headWithoutBody, optionalBodies } from './openapi-truth.js';
import { PathMethods } from './method-not-allowed.js';
import { answerOutsideFastify, refuseStrayUpgrades } from './raw-answers.js';
import { clientErrorProblem, frameworkProblem, registerProblems, sendProblem } from './problem.js';
import { accountRoutes } from './routes/account-routes.js';
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
import { OrderCommands, RUN_HERE } from './order-commands.js';
import { PortfolioReads } from './portfolio-reads.js';
import { StrategyOwners } from './strategy-owners.js';
import { wsGateway } from './ws-gateway.js';
import { riskSnapshot, sharedRead, type RiskAccount } from './risk-frames.js';
import { redisRateLimitStore } from './rate-limit-store.js';
import { lazySchemas } from './lazy-schemas.js';
import { bearerToken } from './bearer-token.js';

// Each of our plugins named for Fastify by its function name (the name Fastify settles on
// anyway): a plugin without one makes Fastify search every loaded module (`require.cache`) for
// it at each registration, which under Jest's module registry costs ~0.5 s of CPU a server.
for (const plugin of [
  authentication,
  docsRoutes,
  healthRoutes,
  authRoutes,
  accountRoutes,
  orderRoutes,
  positionRoutes,
  balanceRoutes,
  fillRoutes,
  instrumentRoutes,
  candleRoutes,
  riskRoutes,
  userRoutes,
  credentialRoutes,
  auditRoutes,
  strategyRoutes,
  backtestRoutes,
  wsGateway,
] as unknown as Array<{ name: string } & Record<symbol, string | undefined>>) {
  plugin[Symbol.for('fastify.display-name')] ??= plugin.name;
}

/** Each app's `compileAll` (`lazy-schemas.ts`). */
const schemaCompilers = new WeakMap<FastifyInstance, () => void>();
/** Each app's paths and their methods (`method-not-allowed.ts`). */
const pathMethods = new WeakMap<FastifyInstance, PathMethods>();

/**
 * Every route path of an app `buildApp` made (Fastify's form, `/orders/:id`) with the methods it
 * answers (HEAD with each GET); every other method of the path is a 405. For tests.
 */
export function routeMethodsOf(app: FastifyInstance): ReadonlyMap<string, readonly string[]> {
  return pathMethods.get(app)?.paths ?? new Map();
}

/**
 * Compiles every request and answer schema of an app `buildApp` made now (they are compiled at
 * first use): throws, naming the route, if one does not compile. For tests.
 */
export function compileSchemasNow(app: FastifyInstance): void {
  schemaCompilers.get(app)?.();
}

/** Request bodies above this are refused with 413. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The HTTP API: Fastify with TypeBox schemas (unknown fields refused, secrets never in a
 * response schema), `application/problem+json` errors, OpenAPI at `/docs` (a page) and
 * `/docs/json`, and the WebSocket gateway at `/ws`. One plugin per resource, each given only the
 * ports it uses; one authenticated context (`authenticated-context.ts`) for all of them.
 *
 * @example
 * const app = await buildApp(ports); await app.listen({ port: 8080 });
 */
export async function buildApp(ports: ApiPorts): Promise<FastifyInstance> {
  const logger = ports.logger ?? noopLogger;
  const app = Fastify({
    // Fastify's own logger stays off: requests are logged through ours (`request-log.ts`).
    logger: false,
    genReqId: requestId,
    // Behind a load balancer the client is who it says in X-Forwarded-For, only when the
    // connection comes from a trusted one (else anyone could pick their own rate-limit key).
    ...(ports.trustProxy === undefined
      ? {}
      : {
          trustProxy:
            typeof ports.trustProxy === 'number'
              ? trustHops(ports.trustProxy)
              : [...ports.trustProxy],
        }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Router errors (a bad %-escape in the URL…) answer as problems with our codes.
    frameworkErrors: (err, _req, reply) =>
      sendProblem(reply, frameworkProblem(err) ?? 'BAD_REQUEST', err.message),
    clientErrorHandler: clientErrorProblem,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  // Fastify's compilers, each schema compiled at its first use (`lazy-schemas.ts`).
  const schemas = lazySchemas();
  app.setSchemaController({ compilersFactory: schemas.compilersFactory });
  schemaCompilers.set(app, schemas.compileAll);
  logRequests(app, logger.child({ component: 'http' }));
  answerOutsideFastify(app.server);
  // Which of several instances behind a load balancer answered (`docs/scalability.md`).
  const instance = ports.instanceId;
  if (instance !== undefined)
    app.addHook('onRequest', (_req, reply, done) => {
      void reply.header('x-kairos-instance', instance);
      done();
    });
  refuseStrayUpgrades(app);
  if (ports.metrics) countRequests(app, ports.metrics);
  registerProblems(app, logger.child({ component: 'api' }));
  parseJsonBodies(app);
  refuseHostileInput(app);
  declareAnswers(app);
  const methods = new PathMethods(app);
  pathMethods.set(app, methods);
  const verifiedSub = verifiedSubject(ports);
  await app.register(rateLimit, {
    max: ports.rateLimit?.perMinute ?? 6_000,
    timeWindow: 60_000,
    // Per client address and user: the subject of a token that verifies, never one the client
    // merely asserts (a forged token would otherwise buy a fresh budget per made-up subject).
    keyGenerator: (req) => `${req.ip}|${verifiedSub(req.headers.authorization)}`,
    // Counted in Redis (every instance shares the counts); Redis not answering refuses the
    // request with 503 CACHE_UNAVAILABLE (the plugin's own store answered it 500).
    ...(ports.rateLimit?.redis
      ? {
          store: redisRateLimitStore(
            ports.rateLimit.redis,
            ports.rateLimit.keyPrefix ?? 'kairos:api-rl:',
          ),
        }
      : {}),
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      message: `too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
    }),
  });
  await app.register(swagger, {
    // Fastify answers HEAD for every GET (RFC 9110 §9.3.2): the document says so too.
    exposeHeadRoutes: true,
    transformObject: (d) =>
      optionalBodies(headWithoutBody('openapiObject' in d ? d.openapiObject : d.swaggerObject)),
    openapi: {
      info: { title: 'Kairos API', version: '0.1.0' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });
  await app.register(authentication, { tokens: ports.tokens });

  const { accounts, instruments, now } = ports;
  const lastPrice = (id: string) => ports.lastPrice(id);
  // Who sees which account; on the shared one, a user's orders are their own and those of
  // every strategy instance they started.
  const access = new AccountAccess(accounts, (userId) => ports.strategies.ownedIds(userId));
  const owners = new StrategyOwners(
    (id) => ports.strategies.ownerOf(id),
    logger.child({ component: 'ws' }),
  );
  const authPerMinute = ports.rateLimit?.authPerMinute;

  await app.register(docsRoutes);
  await app.register(healthRoutes, {
    unresolved: () => ports.unresolved(),
    ready: () => ports.readiness.run(),
  });
  await app.register(authRoutes, {
    users: ports.users,
    hasher: ports.hasher,
    mfa: ports.mfa,
    tokens: ports.tokens,
    challenges: ports.challenges,
    audit: ports.audit,
    now,
    ...(authPerMinute === undefined ? {} : { authPerMinute }),
  });
  await app.register(accountRoutes, { accounts, access });
  // Place and cancel run where the account is owned: here, or handed to its owner (several
  // instances), which runs the commands handed to it with the same `OrderCommands`.
  const handOff = ports.orderHandOff ?? RUN_HERE;
  // Positions and balances live in the owner's core: read there (handed over like orders).
  const portfolio = new PortfolioReads({ accounts, access, instruments, handOff });
  const orders = new OrderCommands({
    accounts,
    access,
    reads: ports.orderReads,
    logger: logger.child({ component: 'api' }),
    portfolio: portfolio.handle,
  });
  handOff.serve(orders.handle);
  await app.register(orderRoutes, {
    access,
    reads: ports.orderReads,
    commands: orders,
    handOff,
    ...(ports.draining ? { draining: ports.draining } : {}),
  });
  await app.register(positionRoutes, { reads: portfolio, access });
  await app.register(balanceRoutes, { reads: portfolio, access });
  await app.register(fillRoutes, { reads: ports.orderReads, access });
  const venueMarket = ports.venueMarket;
  await app.register(instrumentRoutes, {
    instruments,
    lastPrice,
    ...(venueMarket ? { venues: () => venueMarket.instruments() } : {}),
  });
  await app.register(candleRoutes, { instruments, candles: ports.candles });
  await app.register(riskRoutes, { risk: ports.risk, access, users: ports.users });
  await app.register(userRoutes, { userAdmin: ports.userAdmin, sessions: ports.tokens });
  await app.register(credentialRoutes, { credentials: ports.credentials });
  await app.register(auditRoutes, { auditLog: ports.auditLog });
  await app.register(strategyRoutes, { strategies: ports.strategies, owners, access });
  await app.register(backtestRoutes, { backtests: ports.backtests });
  const riskAccount = (id: string): RiskAccount => ({
    id,
    ownerUserId: accounts.get(id)?.ownerUserId ?? null,
  });
  // The `risk` snapshots of one subscription (every account, for an oversight role) share reads.
  const riskView = sharedRead(() => ports.risk.view());
  await app.register(wsGateway, {
    tokens: ports.tokens,
    events: ports.events,
    order: (id) => ports.order(id),
    stored: (id) => accounts.trading(id)?.core.journal.stored(),
    accountOwner: (id) => {
      const a = accounts.get(id);
      return a === undefined ? undefined : a.ownerUserId;
    },
    portfolio: (id) => accounts.trading(id)?.core,
    instruments,
    ...(accounts.instrumentsOf
      ? { instrumentsOf: (id: string) => accounts.instrumentsOf!(id) }
      : {}),
    ...(venueMarket ? { market: venueMarket } : {}),
    bars: ports.bars,
    owners,
    ...(ports.eventLog ? { log: ports.eventLog } : {}),
    ...(ports.wsSubscribeRetry ? { subscribeRetry: ports.wsSubscribeRetry } : {}),
    ...(ports.wsMaxConnectionsPerAddress === undefined
      ? {}
      : { maxConnectionsPerAddress: ports.wsMaxConnectionsPerAddress }),
    visibleAccounts: (claims) => access.visible(claims).map((a) => a.id),
    snapshot: async (claims, kind, key) =>
      kind === 'bars'
        ? ports.candles.recent(key, 1)
        : kind === 'trades' || kind === 'book'
          ? []
          : kind === 'risk'
            ? [riskSnapshot(await riskView(), riskAccount(key))]
            : accountState(
                accounts,
                access,
                ports.orderReads,
                // Positions and balances as their routes read them: from the owner's core when
                // it runs elsewhere, or refused saying why (the subscription is then retried).
                (account, k) =>
                  portfolio.read({ requestId: `ws-${randomUUID()}`, claims }, account, k),
                claims,
                key,
                kind,
              ),
    ...(ports.riskChanges ? { riskChanges: ports.riskChanges } : {}),
    allAccounts: () => accounts.all().map((a) => riskAccount(a.id)),
    now,
    logger: logger.child({ component: 'ws' }),
    ...(ports.metrics ? { metrics: ports.metrics } : {}),
  });
  // Last: every other method of each path is a 405 naming the path's methods (`Allow`).
  methods.refuseOthers(app);
  return app;
}

/**
 * The `sub` of a bearer token that verifies (signature, expiry, audience), or '' (a rate-limit
 * key). Remembers recent answers, so a token is verified about once however often it is sent.
 */
function verifiedSubject(
  ports: Pick<ApiPorts, 'now' | 'tokens'>,
): (authorization: string | undefined) => string {
  const seen = new Map<string, { sub: string; until: number }>();
  return (authorization) => {
    const token = bearerToken(authorization);
    if (token === null) return '';
    const now = ports.now();
    const hit = seen.get(token);
    if (hit && hit.until > now) return hit.sub;
    let entry = { sub: '', until: now + 60_000 };
    try {
      const claims = ports.tokens.verifyAccess(token);
      entry = { sub: claims.sub, until: Math.min(claims.exp * 1000, now + 60_000) };
    } catch {
      // not a valid token: the address alone is the key
    }
    if (seen.size >= 10_000) seen.clear();
    seen.set(token, entry);
    return entry.sub;
  };
}

/** Trusts the nearest `hops` proxies, as proxy-addr does for a number (Fastify's types omit it). */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}
