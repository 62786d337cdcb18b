import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { BacktestJob } from '../../store/backtest-repository.js';
import { actorOf } from '../authenticated-context.js';
import type { BacktestDesk } from '../deps.js';
import { DecimalString } from '../order-schemas.js';
import { ProblemSchema, apiError } from '../problem.js';
import { QueryParams } from '../query-params.js';
import { ParamsBody } from './strategy-routes.js';

const NullableInt = Type.Union([Type.Integer(), Type.Null()]);
const Ms = (description: string) =>
  Type.Optional(Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000, description }));
const CatalogName = (description: string) =>
  Type.String({ minLength: 1, maxLength: 200, description });

/** `POST /backtests`: the `kairos backtest` flags as fields; unknown fields are refused. */
const BacktestBody = Type.Object(
  {
    strategy: CatalogName('a strategy of the catalog (GET /strategies)'),
    data: Type.Optional(
      CatalogName('a data file of the catalog (GET /backtests/data); absent: the server feed'),
    ),
    params: Type.Optional(ParamsBody),
    cash: Type.Optional(DecimalString),
    symbol: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:/-]{1,64}$' })),
    quote: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{1,16}$' })),
    tick: Type.Optional(DecimalString),
    lot: Type.Optional(DecimalString),
    minQty: Type.Optional(DecimalString),
    minNotional: Type.Optional(DecimalString),
    commission: Type.Optional(DecimalString),
    makerFee: Type.Optional(DecimalString),
    takerFee: Type.Optional(DecimalString),
    slippageBps: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000 })),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1 })),
    from: Ms('first bar/trade time, inclusive (ms)'),
    to: Ms('end time, exclusive (ms)'),
    intervalMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 31 * 86_400_000 })),
    barIntervalMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 31 * 86_400_000 })),
    allowShort: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const JobView = Type.Object({
  id: Type.String(),
  strategy: Type.String(),
  status: Type.String({ description: 'queued, running, done or failed' }),
  error: Type.Union([Type.String(), Type.Null()]),
  request: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.Integer(),
  startedAt: NullableInt,
  finishedAt: NullableInt,
});

function jobView(j: BacktestJob) {
  return {
    id: j.id,
    strategy: j.strategy,
    status: j.status,
    error: j.error,
    request: { ...j.request },
    createdAt: j.createdAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
  };
}

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };

/** What the backtest routes use. */
export interface BacktestRoutesOptions {
  readonly backtests: BacktestDesk;
}

/**
 * Backtests as background jobs: submit (202, queued; one runs at a time), list your own (newest
 * first, cursor pages), one's status, its report (the `report.json` of `kairos backtest`, byte
 * for byte). Another user's job is not found.
 */
export const backtestRoutes: FastifyPluginAsync<BacktestRoutesOptions> = async (app, opts) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/backtests',
    {
      onRequest: app.requires('backtests:run', { live: true }),
      schema: {
        tags: ['backtests'],
        body: BacktestBody,
        response: { 202: JobView, 404: ProblemSchema, 503: ProblemSchema, ...Problems },
      },
    },
    async (req, reply) => {
      const claims = req.claims;
      const job = await opts.backtests.submit(claims.sub, req.body, actorOf(claims));
      return reply.code(202).header('location', `/backtests/${job.id}`).send(jobView(job));
    },
  );

  r.get(
    '/backtests',
    {
      onRequest: app.requires('backtests:run'),
      schema: {
        tags: ['backtests'],
        querystring: Type.Object(
          {
            limit: QueryParams.limit(500, 100),
            before: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            backtests: Type.Array(JobView),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
          ...Problems,
        },
      },
    },
    async (req) => {
      const page = await opts.backtests.page(req.claims.sub, {
        limit: Number(req.query.limit ?? 100),
        ...(req.query.before ? { before: req.query.before } : {}),
      });
      return { backtests: page.jobs.map(jobView), next: page.next };
    },
  );

  r.get(
    '/backtests/data',
    {
      onRequest: app.requires('backtests:run'),
      schema: {
        tags: ['backtests'],
        response: { 200: Type.Object({ data: Type.Array(Type.String()) }), ...Problems },
      },
    },
    async () => ({ data: await opts.backtests.dataCatalog() }),
  );

  r.get(
    '/backtests/:id',
    {
      onRequest: app.requires('backtests:run'),
      schema: {
        tags: ['backtests'],
        params: IdParams,
        response: { 200: JobView, 404: ProblemSchema, ...Problems },
      },
    },
    async (req) => {
      const job = await opts.backtests.find(req.claims.sub, req.params.id);
      if (!job) throw apiError('NOT_FOUND', `backtest ${req.params.id}: not found`);
      return jobView(job);
    },
  );

  r.get(
    '/backtests/:id/report',
    {
      onRequest: app.requires('backtests:run'),
      schema: {
        tags: ['backtests'],
        params: IdParams,
        response: {
          200: Type.Unknown({ description: 'report.json, as kairos backtest writes it' }),
          404: ProblemSchema,
          409: ProblemSchema,
          ...Problems,
        },
      },
    },
    async (req, reply) => {
      const owner = req.claims.sub;
      const job = await opts.backtests.find(owner, req.params.id);
      if (!job) throw apiError('NOT_FOUND', `backtest ${req.params.id}: not found`);
      const report = job.status === 'done' ? await opts.backtests.report(owner, job.id) : null;
      if (report === null) {
        throw apiError(
          'BACKTEST_NOT_DONE',
          `backtest ${job.id}: ${job.status}${job.error ? ` (${job.error})` : ''}; no report`,
        );
      }
      // The stored text as it is (not re-serialised): the CLI's report.json, byte for byte.
      return reply
        .type('application/json')
        .serializer((s: unknown) => s as string)
        .send(report);
    },
  );
};
