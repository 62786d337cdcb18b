import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { actorOf } from '../authenticated-context.js';
import type { StrategyDesk, StrategyInstance } from '../deps.js';
import type { StrategyOwners } from '../strategy-owners.js';
import { ProblemSchema, apiError } from '../problem.js';

const NullableInt = Type.Union([Type.Integer(), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

/** A strategy's params: names as the SDK declares them, JSON scalars as values. */
export const ParamsBody = Type.Record(
  Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' }),
  Type.Union([Type.String({ maxLength: 200 }), Type.Number(), Type.Boolean()]),
  { maxProperties: 64, description: 'strategy params, checked against its declared rules' },
);

/** A strategy instance (without its state: `GET .../state` has it). */
const InstanceView = Type.Object({
  id: Type.String({ description: 'its strategy id (orders, risk scope)' }),
  name: Type.String({ description: 'the catalog strategy it runs' }),
  status: Type.String({ description: 'running, stopped or failed' }),
  error: NullableString,
  params: Type.Record(Type.String(), Type.Unknown()),
  codeSha256: Type.String(),
  startedAt: Type.Integer(),
  stoppedAt: NullableInt,
  orders: Type.Integer({ description: 'orders it made since the server started' }),
  openOrders: Type.Integer(),
  position: Type.String({ description: 'net filled quantity, decimal' }),
  lastBarAt: NullableInt,
});

const StateView = Type.Intersect([
  InstanceView,
  Type.Object({
    state: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    openOrderIds: Type.Array(Type.String()),
  }),
]);

function instanceView(i: StrategyInstance) {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    error: i.error,
    params: { ...i.params },
    codeSha256: i.codeSha256,
    startedAt: i.startedAt,
    stoppedAt: i.stoppedAt,
    orders: i.orders,
    openOrders: i.openOrders.length,
    position: i.position.toFixed(),
    lastBarAt: i.lastBarAt,
  };
}

/** No body at all is an empty one. */
const emptyBody = async (req: FastifyRequest) => void (req.body ??= {});

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };

/** What the strategy routes use. */
export interface StrategyRoutesOptions {
  readonly strategies: Pick<StrategyDesk, 'catalog' | 'list' | 'start' | 'stop' | 'state'>;
  /** Told the owner of each instance started here (the WebSocket pushes its orders to them). */
  readonly owners: Pick<StrategyOwners, 'remember'>;
}

/**
 * Strategies: the server's catalog of strategy files and the instances running on its trading
 * core. Start (a catalog strategy with params, its own strategy id, through the one risk gate),
 * read one's state, stop (cancels its open orders). Instances belong to who started them:
 * another user's instance is not found.
 */
export const strategyRoutes: FastifyPluginAsync<StrategyRoutesOptions> = async (app, opts) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/strategies',
    {
      onRequest: app.requires('strategies:read'),
      schema: {
        tags: ['strategies'],
        response: {
          200: Type.Object({
            catalog: Type.Array(Type.Object({ name: Type.String() })),
            instances: Type.Array(InstanceView),
          }),
          ...Problems,
        },
      },
    },
    async (req) => ({
      catalog: (await opts.strategies.catalog()).map((name) => ({ name })),
      instances: (await opts.strategies.list(req.claims.sub)).map(instanceView),
    }),
  );

  r.post(
    '/strategies/:name/start',
    {
      onRequest: app.requires('strategies:deploy', { live: true }),
      preValidation: emptyBody,
      schema: {
        tags: ['strategies'],
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }),
        body: Type.Object({ params: Type.Optional(ParamsBody) }, { additionalProperties: false }),
        response: { 201: InstanceView, 404: ProblemSchema, ...Problems },
      },
    },
    async (req, reply) => {
      const claims = req.claims;
      const started = await opts.strategies.start(
        claims.sub,
        { name: req.params.name, ...(req.body.params ? { params: req.body.params } : {}) },
        actorOf(claims),
      );
      opts.owners.remember(started.id, claims.sub);
      return reply
        .code(201)
        .header('location', `/strategies/instances/${started.id}/state`)
        .send(instanceView(started));
    },
  );

  r.get(
    '/strategies/instances/:id/state',
    {
      onRequest: app.requires('strategies:read'),
      schema: {
        tags: ['strategies'],
        params: IdParams,
        response: { 200: StateView, 404: ProblemSchema, ...Problems },
      },
    },
    async (req) => {
      const i = await opts.strategies.state(req.claims.sub, req.params.id);
      if (!i) throw apiError('NOT_FOUND', `strategy instance ${req.params.id}: not found`);
      return {
        ...instanceView(i),
        state: i.state,
        openOrderIds: i.openOrders.map((o) => o.clientOrderId),
      };
    },
  );

  r.post(
    '/strategies/instances/:id/stop',
    {
      onRequest: app.requires('strategies:deploy', { live: true }),
      preValidation: emptyBody,
      schema: {
        tags: ['strategies'],
        params: IdParams,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: InstanceView, 404: ProblemSchema, 409: ProblemSchema, ...Problems },
      },
    },
    async (req) => {
      const claims = req.claims;
      const i = await opts.strategies.stop(claims.sub, req.params.id, actorOf(claims));
      if (!i) throw apiError('NOT_FOUND', `strategy instance ${req.params.id}: not found`);
      return instanceView(i);
    },
  );
};
