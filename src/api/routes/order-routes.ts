import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CommandAnswer } from '../../scalability/bus/command-stream.js';
import type { AccountAccess } from '../account-access.js';
import type { OrderHandOff, OrderReads } from '../deps.js';
import { CANCEL, PLACE, type OrderCommands } from '../order-commands.js';
import { AccountIdString, OrderBody, OrderView, orderView } from '../order-schemas.js';
import { ProblemSchema, apiError, retryAfterOf } from '../problem.js';

const Problem = ProblemSchema;
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** What the order routes use. */
export interface OrderRoutesOptions {
  readonly access: AccountAccess;
  readonly reads: OrderReads;
  /** Place and cancel, run on the instance that owns the account (`order-commands.ts`). */
  readonly commands: OrderCommands;
  /** Where they run: here, or handed to the owner (default: here). */
  readonly handOff: OrderHandOff;
  /** True while the server drains: new orders are refused (`SERVER_DRAINING`). */
  readonly draining?: () => boolean;
}

/**
 * Runs a place or cancel where its account is owned and sends the answer, as the owner gave it;
 * no owner answering: 503 `ACCOUNT_OWNER_UNAVAILABLE` with `Retry-After` (`problem.ts`).
 */
async function answerFromOwner(
  req: FastifyRequest,
  reply: FastifyReply,
  handOff: OrderHandOff,
  cmd: { accountId: string; route: string; body: unknown; idempotencyKey: string | null },
  local: () => Promise<CommandAnswer>,
): Promise<FastifyReply> {
  const { sub, role } = req.claims;
  const { status, body, headers } = await handOff.dispatch(
    { requestId: req.id, user: { id: sub, role }, ...cmd },
    local,
  );
  if (status >= 400) reply.type('application/problem+json');
  // The owner's refusal to retry (its venue's order rate, its lease lost meanwhile, draining)
  // says when, as it would here: the owner's header, else (an owner of an older version) the
  // code's.
  const code = (body as { code?: unknown } | null)?.code;
  const wait =
    headers?.['retry-after'] ??
    (status === 503 && typeof code === 'string' ? retryAfterOf(code) : undefined);
  if (wait !== undefined) void reply.header('retry-after', String(wait));
  return reply.code(status).send(body);
}

/** Orders: place (idempotent), cancel, list with filters and a cursor, one with its events. */
export const orderRoutes: FastifyPluginAsync<OrderRoutesOptions> = async (app, opts) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    '/orders',
    {
      onRequest: app.requires('orders:write', { live: true }),
      schema: {
        tags: ['orders'],
        headers: Type.Object({
          'idempotency-key': Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
        }),
        body: OrderBody,
        response: {
          200: OrderView,
          201: OrderView,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
          422: Problem,
          503: Problem,
        },
      },
    },
    async (req, reply) => {
      if (opts.draining?.())
        throw apiError(
          'SERVER_DRAINING',
          'this instance is stopping and takes no new order; nothing was stored, retry with the same Idempotency-Key',
        );
      const key = req.headers['idempotency-key'];
      const accountId = opts.access.tradingAccountId(req.claims, req.body.accountId);
      return answerFromOwner(
        req,
        reply,
        opts.handOff,
        { accountId, route: PLACE, body: req.body, idempotencyKey: key },
        () => opts.commands.place(req.claims, req.body, key),
      );
    },
  );

  r.get(
    '/orders',
    {
      onRequest: app.requires('orders:read'),
      schema: {
        tags: ['orders'],
        querystring: Type.Object(
          {
            status: Type.Optional(Type.String({ pattern: '^[A-Z_]{1,20}$' })),
            instrumentId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            accountId: Type.Optional(AccountIdString()),
            // Query strings are not coerced (bodies must not be), so the range is a pattern.
            limit: Type.Optional(
              Type.String({
                pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$',
                description: 'page size, 1-500 (default 100)',
              }),
            ),
            before: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            orders: Type.Array(OrderView),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
          404: Problem,
        },
      },
    },
    async (req) => {
      const { accountId, ...filters } = req.query;
      const page = await opts.reads.page(await opts.access.orderScope(req.claims, accountId), {
        ...filters,
        limit: Number(req.query.limit ?? 100),
      });
      return { orders: page.orders.map(orderView), next: page.next };
    },
  );

  r.get(
    '/orders/:id',
    {
      onRequest: app.requires('orders:read'),
      schema: {
        tags: ['orders'],
        params: IdParams,
        response: {
          200: Type.Object({
            order: OrderView,
            events: Type.Array(
              Type.Object(
                { kind: Type.String(), ts: Type.Integer() },
                { additionalProperties: true },
              ),
            ),
          }),
          404: Problem,
          503: Problem,
        },
      },
    },
    async (req) => {
      const found = await opts.commands.detail(req.claims, req.params.id);
      if (!found) throw apiError('NOT_FOUND', `order ${req.params.id}: not found`);
      const { order, events } = found;
      return {
        order: orderView(order),
        events: events.map((e) => ({
          kind: e.kind,
          ts: e.ts,
          ...('reason' in e ? { reason: e.reason } : {}),
        })),
      };
    },
  );

  r.delete(
    '/orders/:id',
    {
      onRequest: app.requires('orders:write', { live: true }),
      schema: {
        tags: ['orders'],
        params: IdParams,
        response: { 202: OrderView, 404: Problem, 409: Problem, 503: Problem },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      // The order's account (unknown: answered here, 404); its owner sees the order or not.
      const at = await opts.reads.locate(id);
      return answerFromOwner(
        req,
        reply,
        opts.handOff,
        { accountId: at?.accountId ?? '', route: CANCEL, body: { id }, idempotencyKey: null },
        () => opts.commands.cancel(req.claims, id),
      );
    },
  );
};
