import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AccountAccess } from '../account-access.js';
import { actorOf } from '../authenticated-context.js';
import type { StrategyDesk, StrategyInstance } from '../deps.js';
import type { StrategyOwners } from '../strategy-owners.js';
import { AccountIdString } from '../order-schemas.js';
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
  accountId: Type.String({ description: 'the account it trades on' }),
  instrumentId: Type.String({
    description:
      "the instrument it trades, as its start named it (default: its account's first): an account on a venue trades the venue's symbols (its bars from the venue), else the replayed one",
  }),
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
  tradingState: Type.Union(
    [Type.Literal('ACTIVE'), Type.Literal('REDUCING'), Type.Literal('HALTED')],
    {
      description:
        'what the risk gate lets its orders do (HALTED: the kill switch, or failed Lambda steps)',
    },
  ),
  runtime: Type.Union([Type.Literal('in-process'), Type.Literal('lambda')], {
    description: 'in the server (in-process) or as a Lambda function the server invokes per bar',
  }),
  lambda: Type.Union([
    Type.Object({
      function: Type.String(),
      qualifier: Type.String({ description: 'the alias or version it invokes' }),
      version: Type.String({ description: 'the version the qualifier named at its start' }),
    }),
    Type.Null(),
  ]),
});

/** A Lambda function name (Lambda's rule for a bare name). */
const FUNCTION_NAME = '^[A-Za-z0-9_-]{1,64}$';
const FunctionName = Type.String({
  pattern: FUNCTION_NAME,
  description: 'a Lambda function name: 1-64 letters, digits, - or _ (default: the strategy name)',
});

const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) });

const DeployView = Type.Object({
  function: Type.String(),
  strategy: Type.String({ description: "the strategy's own name (its definition)" }),
  catalog: Type.String({ description: 'the catalog name deployed' }),
  created: Type.Boolean({ description: 'the function was created (else its code was updated)' }),
  version: Type.String({ description: 'the published version, now behind the alias live' }),
  previousVersion: Type.Union([Type.String(), Type.Null()], {
    description: 'where live pointed before (null: the alias is new)',
  }),
  alias: Type.Literal('live'),
  zipSha256: Type.String({ description: 'sha256 of the deployed package, hex' }),
});

const VersionView = Type.Object({
  version: Type.String(),
  codeSha256: Type.String({ description: 'base64, as Lambda reports it' }),
  lastModified: Type.String(),
  description: Type.String(),
  memoryMb: Type.Integer(),
  timeoutS: Type.Integer(),
  live: Type.Boolean({ description: 'the alias live points to it' }),
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
    accountId: i.accountId,
    instrumentId: i.instrumentId,
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
    tradingState: i.tradingState,
    runtime: i.runtime,
    lambda: i.lambda && { ...i.lambda },
  };
}

/** No body at all is an empty one. */
const emptyBody = async (req: FastifyRequest) => void (req.body ??= {});

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };
/** What a Lambda call may answer besides (`docs/errors.md`). */
const Lambda = {
  409: ProblemSchema,
  500: ProblemSchema,
  502: ProblemSchema,
  503: ProblemSchema,
};

/** What the strategy routes use. */
export interface StrategyRoutesOptions {
  readonly strategies: Pick<
    StrategyDesk,
    'catalog' | 'list' | 'start' | 'stop' | 'state' | 'deploy' | 'versions' | 'rollback'
  >;
  /** Told the owner of each instance started here (the WebSocket pushes its orders to them). */
  readonly owners: Pick<StrategyOwners, 'remember'>;
  /** The account a start runs on (one of the starter's, or the shared one). */
  readonly access: Pick<AccountAccess, 'forTrading'>;
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
        params: NameParams,
        body: Type.Object(
          {
            params: Type.Optional(ParamsBody),
            runtime: Type.Optional(
              Type.Union([Type.Literal('in-process'), Type.Literal('lambda')], {
                description: 'in-process (default), or lambda: the function is invoked per bar',
              }),
            ),
            function: Type.Optional(
              Type.String({
                pattern: '^[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$',
                description:
                  'with runtime lambda: name[:alias|version] (default: the strategy name, alias live)',
              }),
            ),
            accountId: Type.Optional(
              AccountIdString(
                'the account it trades on: one of yours (default: your default account, else the shared one)',
              ),
            ),
            instrumentId: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 100,
                description:
                  "the instrument it trades and hears bars of: one its account trades (`GET /instruments`: the replay's, or its venue's); default: the account's first",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: InstanceView,
          404: ProblemSchema,
          422: ProblemSchema,
          ...Lambda,
          ...Problems,
        },
      },
    },
    async (req, reply) => {
      const claims = req.claims;
      const { params, runtime, function: fn, accountId, instrumentId } = req.body;
      if (fn !== undefined && runtime !== 'lambda')
        throw apiError('VALIDATION', 'body.function: only with "runtime": "lambda"');
      const { account } = opts.access.forTrading(claims, accountId);
      const started = await opts.strategies.start(
        claims.sub,
        {
          name: req.params.name,
          accountId: account.id,
          ...(params ? { params } : {}),
          ...(runtime ? { runtime } : {}),
          ...(fn !== undefined ? { function: fn } : {}),
          ...(instrumentId !== undefined ? { instrumentId } : {}),
        },
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
  r.post(
    '/strategies/:name/deploy',
    {
      onRequest: app.requires('strategies:deploy', { live: true }),
      preValidation: emptyBody,
      schema: {
        tags: ['strategies'],
        description:
          'Deploys the catalog strategy as a Lambda function (audited): package it, create the function or update its code, publish a version, and only then move the alias live to it. Functions are shared by the server, like its catalog.',
        params: NameParams,
        body: Type.Object(
          {
            function: Type.Optional(FunctionName),
            memoryMb: Type.Optional(
              Type.Integer({ minimum: 128, maximum: 10240, description: 'default 256 on create' }),
            ),
            timeoutS: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: 900,
                description: 'one step; default 10 on create',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: DeployView, 404: ProblemSchema, ...Lambda, ...Problems },
      },
    },
    async (req, reply) => {
      const { function: fn, memoryMb, timeoutS } = req.body;
      const d = await opts.strategies.deploy(
        req.params.name,
        {
          ...(fn !== undefined ? { function: fn } : {}),
          ...(memoryMb !== undefined ? { memoryMb } : {}),
          ...(timeoutS !== undefined ? { timeoutS } : {}),
        },
        actorOf(req.claims),
      );
      return reply.code(201).send({
        function: d.function,
        strategy: d.strategy,
        catalog: req.params.name,
        created: d.created,
        version: d.version,
        previousVersion: d.previousVersion,
        alias: 'live' as const,
        zipSha256: d.zipSha256,
      });
    },
  );

  r.get(
    '/strategies/:name/versions',
    {
      onRequest: app.requires('strategies:read'),
      schema: {
        tags: ['strategies'],
        description: "The published versions of the strategy's function, oldest first.",
        params: NameParams,
        querystring: Type.Object(
          { function: Type.Optional(FunctionName) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ function: Type.String(), versions: Type.Array(VersionView) }),
          404: ProblemSchema,
          ...Lambda,
          ...Problems,
        },
      },
    },
    async (req) => {
      const r = await opts.strategies.versions(req.params.name, req.query.function);
      return { function: r.function, versions: r.versions.map((v) => ({ ...v })) };
    },
  );

  r.post(
    '/strategies/:name/rollback',
    {
      onRequest: app.requires('strategies:deploy', { live: true }),
      schema: {
        tags: ['strategies'],
        description:
          "Moves the alias live of the strategy's function to an earlier published version (checked to exist first; audited).",
        params: NameParams,
        body: Type.Object(
          {
            function: Type.Optional(FunctionName),
            version: Type.String({
              pattern: '^[1-9][0-9]{0,9}$',
              description: 'a published version number',
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            function: Type.String(),
            alias: Type.Literal('live'),
            from: Type.Union([Type.String(), Type.Null()]),
            to: Type.String(),
          }),
          404: ProblemSchema,
          ...Lambda,
          ...Problems,
        },
      },
    },
    async (req) => {
      const r = await opts.strategies.rollback(
        req.params.name,
        req.body.function,
        req.body.version,
        actorOf(req.claims),
      );
      return { function: r.function, alias: 'live' as const, from: r.from, to: req.body.version };
    },
  );
};
