import { createHash } from 'node:crypto';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AccessClaims } from '../../security/tokens/access-tokens.js';
import type { OrderRepository } from '../../store/order-repository.js';
import { InvariantError } from '../../trading/core/errors.js';
import type { TradingDesk } from '../../trading/live/trading-desk.js';
import { ownerOf } from '../authenticated-context.js';
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

/** What the order routes use. */
export interface OrderRoutesOptions {
  readonly desk: Pick<TradingDesk, 'place' | 'find' | 'cancel'>;
  readonly journal: Pick<OrderRepository, 'page' | 'events'>;
  /** Every owner id of a user's orders: their own (`user:<id>`) and their strategies'. */
  ownersOf(claims: AccessClaims): Promise<string[]>;
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
          422: Problem,
        },
      },
    },
    async (req, reply) => {
      const claims = req.claims;
      const id = clientOrderIdFor(claims.sub, req.headers['idempotency-key']);
      const { order, created } = await opts.desk.place(ownerOf(claims), id, req.body);
      // Denied at the gate (or not a valid order for the instrument): recorded with its reason,
      // never sent, and answered as a problem carrying that reason.
      if (order.status === 'DENIED') {
        if (order.reason === null) {
          throw new InvariantError(
            'ORDER_EVENT_MISMATCH',
            `${order.clientOrderId}: denied, no reason`,
          );
        }
        return sendProblem(
          reply,
          order.reason,
          `order ${order.clientOrderId} denied: ${order.reason}`,
        );
      }
      return reply.code(created ? 201 : 200).send(orderView(order));
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
      const page = await opts.journal.page(await opts.ownersOf(req.claims), {
        ...req.query,
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
        },
      },
    },
    async (req) => {
      const order = await opts.desk.find(await opts.ownersOf(req.claims), req.params.id);
      if (!order) throw apiError('NOT_FOUND', `order ${req.params.id}: not found`);
      const events = await opts.journal.events(order.clientOrderId);
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
        response: { 202: OrderView, 404: Problem, 409: Problem },
      },
    },
    async (req, reply) => {
      const owners = await opts.ownersOf(req.claims);
      const found = await opts.desk.find(owners, req.params.id);
      if (!found) throw apiError('NOT_FOUND', `order ${req.params.id}: not found`);
      // A finished order cannot be canceled: say so, with its status, rather than a 202.
      if (!isOpen(found.status)) {
        return sendProblem(
          reply,
          'ORDER_NOT_OPEN',
          `order ${req.params.id} is ${found.status}: only an open order can be canceled`,
        );
      }
      const order = await opts.desk.cancel(owners, req.params.id);
      if (!order) throw apiError('NOT_FOUND', `order ${req.params.id}: not found`);
      return reply.code(202).send(orderView(order));
    },
  );
};
