import { createHash } from 'node:crypto';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ownerOf, ownersOf, requires } from '../auth-guard.js';
import type { ApiDeps } from '../deps.js';
import { OrderBody, OrderView, orderView } from '../order-schemas.js';
import { ProblemSchema, apiError, sendProblem } from '../problem.js';
import { isOpen } from '../../trading/model/order-state-machine.js';

const Problem = ProblemSchema;
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * The client order id of a user's request: derived from the user and the Idempotency-Key, so
 * the same key always names the same order (a retry never makes a second one), and valid for
 * venues (32 characters of [0-9a-z]).
 */
export function clientOrderIdFor(userId: string, key: string): string {
  return `k${createHash('sha256').update(`${userId}\0${key}`).digest('hex').slice(0, 31)}`;
}

/** Orders: place (idempotent), cancel, list with filters and a cursor, one with its events. */
export async function orderRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/orders',
    {
      onRequest: requires(deps, 'orders:write', true),
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
          422: Problem,
        },
      },
    },
    async (req, reply) => {
      const claims = req.claims!;
      const id = clientOrderIdFor(claims.sub, req.headers['idempotency-key']);
      const { order, created } = await deps.desk.place(ownerOf(claims), id, req.body);
      // Denied at the gate (or not a valid order for the instrument): recorded with its reason,
      // never sent, and answered as a problem carrying that reason.
      if (order.status === 'DENIED') {
        return sendProblem(
          reply,
          422,
          order.reason ?? 'DENIED',
          `order ${order.clientOrderId} denied: ${order.reason ?? 'denied'}`,
        );
      }
      return reply.code(created ? 201 : 200).send(orderView(order));
    },
  );

  r.get(
    '/orders',
    {
      onRequest: requires(deps, 'orders:read'),
      schema: {
        tags: ['orders'],
        querystring: Type.Object(
          {
            status: Type.Optional(Type.String({ pattern: '^[A-Z_]{1,20}$' })),
            instrumentId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
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
        },
      },
    },
    async (req) => {
      const page = await deps.orders.page(await ownersOf(deps, req.claims!), {
        ...req.query,
        limit: Number(req.query.limit ?? 100),
      });
      return { orders: page.orders.map(orderView), next: page.next };
    },
  );

  r.get(
    '/orders/:id',
    {
      onRequest: requires(deps, 'orders:read'),
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
        },
      },
    },
    async (req) => {
      const order = await deps.desk.find(await ownersOf(deps, req.claims!), req.params.id);
      if (!order) throw apiError('NOT_FOUND', `order ${req.params.id}: not found`);
      const events = await deps.orders.events(order.clientOrderId);
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
      onRequest: requires(deps, 'orders:write', true),
      schema: {
        tags: ['orders'],
        params: IdParams,
        response: { 202: OrderView, 404: Problem, 409: Problem },
      },
    },
    async (req, reply) => {
      const owners = await ownersOf(deps, req.claims!);
      const found = await deps.desk.find(owners, req.params.id);
      if (!found) throw apiError('NOT_FOUND', `order ${req.params.id}: not found`);
      // A finished order cannot be canceled: say so, with its status, rather than a 202.
      if (!isOpen(found.status)) {
        return sendProblem(
          reply,
          409,
          'ORDER_NOT_OPEN',
          `order ${req.params.id} is ${found.status}: only an open order can be canceled`,
        );
      }
      const order = await deps.desk.cancel(owners, req.params.id);
      if (!order) throw apiError('NOT_FOUND', `order ${req.params.id}: not found`);
      return reply.code(202).send(orderView(order));
    },
  );
}
