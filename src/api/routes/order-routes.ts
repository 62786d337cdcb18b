import { createHash } from 'node:crypto';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AccessClaims } from '../../security/tokens/access-tokens.js';
import { InvariantError } from '../../trading/core/errors.js';
import type { AccountAccess } from '../account-access.js';
import { accountOwnerUnavailable } from '../account-owner.js';
import { ownerOf } from '../authenticated-context.js';
import type { AccountDesk, OrderReads } from '../deps.js';
import { AccountIdString, OrderBody, OrderView, orderView } from '../order-schemas.js';
import { ProblemSchema, apiError, sendProblem } from '../problem.js';
import { isOpen } from '../../trading/model/order-state-machine.js';

const Problem = ProblemSchema;
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * The client order id of a user's request: derived from the user, the account and the
 * Idempotency-Key, so the same key on the same account always names the same order (a retry
 * never makes a second one), and valid for venues (32 characters of [0-9a-z]). On the shared
 * account (`accountId` absent) it is what it was before accounts, so old keys keep their orders.
 */
export function clientOrderIdFor(userId: string, key: string, accountId?: string): string {
  const seed = accountId === undefined ? `${userId}\0${key}` : `${userId}\0${accountId}\0${key}`;
  return `k${createHash('sha256').update(seed).digest('hex').slice(0, 31)}`;
}

/** What the order routes use. */
export interface OrderRoutesOptions {
  readonly accounts: Pick<AccountDesk, 'trading'>;
  readonly access: AccountAccess;
  readonly reads: OrderReads;
  /** True while the server drains: new orders are refused (`SERVER_DRAINING`). */
  readonly draining?: () => boolean;
}

/** Orders: place (idempotent), cancel, list with filters and a cursor, one with its events. */
export const orderRoutes: FastifyPluginAsync<OrderRoutesOptions> = async (app, opts) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  /** An order the caller sees, on whichever account it is, with that account's trading. */
  const findOrder = async (claims: AccessClaims, id: string) => {
    const at = await opts.reads.locate(id);
    if (!at || !(await opts.access.seesOrder(claims, at.accountId, at.strategyId))) return null;
    const trading = opts.accounts.trading(at.accountId);
    if (!trading) throw accountOwnerUnavailable(at.accountId);
    const order = await trading.desk.find(at.strategyId, id);
    return order ? { order, trading } : null;
  };

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
      const claims = req.claims;
      const { accountId, ...request } = req.body;
      const { account, trading } = opts.access.forTrading(claims, accountId);
      const key = req.headers['idempotency-key'];
      const id = account.shared
        ? clientOrderIdFor(claims.sub, key)
        : clientOrderIdFor(claims.sub, key, account.id);
      const { order, created } = await trading.desk.place(ownerOf(claims), id, request);
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
      const found = await findOrder(req.claims, req.params.id);
      if (!found) throw apiError('NOT_FOUND', `order ${req.params.id}: not found`);
      const { order, trading } = found;
      const events = await trading.orders.events(order.clientOrderId);
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
      const found = await findOrder(req.claims, req.params.id);
      if (!found) throw apiError('NOT_FOUND', `order ${req.params.id}: not found`);
      // A finished order cannot be canceled: say so, with its status, rather than a 202.
      if (!isOpen(found.order.status)) {
        return sendProblem(
          reply,
          'ORDER_NOT_OPEN',
          `order ${req.params.id} is ${found.order.status}: only an open order can be canceled`,
        );
      }
      const order = await found.trading.desk.cancel(found.order.strategyId, req.params.id);
      if (!order) throw apiError('NOT_FOUND', `order ${req.params.id}: not found`);
      return reply.code(202).send(orderView(order));
    },
  );
};
