import { hash } from 'node:crypto';
import { Type, type Static } from '@fastify/type-provider-typebox';
import { Compile } from 'typebox/compile';
import type {
  AccountCommand,
  CommandAnswer,
  CommandHandler,
} from '../scalability/bus/command-stream.js';
import { asStoreUnavailable } from '../store/connection-failure.js';
import { ROLES, type Role } from '../security/roles/permissions.js';
import { InvariantError, KairosError } from '../trading/core/errors.js';
import type { Logger } from '../trading/core/logger.js';
import { isOpen } from '../trading/model/order-state-machine.js';
import type { AccountAccess, Caller } from './account-access.js';
import { ownerOf } from './authenticated-context.js';
import type { AccountDesk, OrderHandOff, OrderReads } from './deps.js';
import { OrderBody, orderView } from './order-schemas.js';
import { PORTFOLIO } from './portfolio-reads.js';
import { problemBody, retryAfterOfError } from './problem.js';

/** The routes of the order commands an instance hands to an account's owner. */
export const PLACE = 'orders.place';
export const CANCEL = 'orders.cancel';

/** One instance: every command runs here. */
export const RUN_HERE: OrderHandOff = {
  dispatch: (_cmd, local) => local(),
  serve: () => undefined,
};

/**
 * The client order id of a user's request: derived from the user, the account and the
 * Idempotency-Key, so the same key on the same account always names the same order (a retry
 * never makes a second one), and valid for venues (32 characters of [0-9a-z]). On the shared
 * account (`accountId` absent) it is what it was before accounts, so old keys keep their orders.
 */
export function clientOrderIdFor(userId: string, key: string, accountId?: string): string {
  const seed = accountId === undefined ? `${userId}\0${key}` : `${userId}\0${accountId}\0${key}`;
  // One-shot: the same digest as a Hash object's (UTF-8), without making one per order.
  return `k${hash('sha256', seed, 'hex').slice(0, 31)}`;
}

const orderBody = Compile(OrderBody);
const cancelBody = Compile(Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }));

/** What the order commands use. */
export interface OrderCommandsOptions {
  readonly accounts: Pick<AccountDesk, 'trading' | 'admitOrder'>;
  readonly access: AccountAccess;
  readonly reads: OrderReads;
  /** Where a handed-off command's internal error is logged (component `api`). */
  readonly logger: Logger;
  /** Runs the positions and balances reads handed to this owner (`PortfolioReads.handle`). */
  readonly portfolio?: CommandHandler;
}

/**
 * Placing and canceling an order, as answers (status and body): what `POST /orders` and
 * `DELETE /orders/{id}` run on the instance that owns the account, for a request made there or
 * handed over from another instance (`handle`). The caller's token was checked where the request
 * came in; account access, the risk gate and write-before-send apply here.
 */
export class OrderCommands {
  constructor(private readonly opts: OrderCommandsOptions) {}

  /** Places an order (idempotent by the key): 201 made, 200 found, a problem when denied. */
  async place(caller: Caller, body: Static<typeof OrderBody>, key: string): Promise<CommandAnswer> {
    const { accountId, ...request } = body;
    const { account, trading } = this.opts.access.forTrading(caller, accountId);
    const id = account.shared
      ? clientOrderIdFor(caller.sub, key)
      : clientOrderIdFor(caller.sub, key, account.id);
    // A live account's venue limits its new orders (Binance: 50 per 10 s): past it a new order is
    // refused at once, saying when a slot frees, rather than held or sent into the venue's 429.
    // A retry of an order already placed is answered with it (the idempotency key), never 429.
    // The slot is taken under the order's id: the account's risk gate, which counts every order
    // (its strategies' too) in the same window, finds it held and takes no other.
    const full = this.opts.accounts.admitOrder?.(account.id, id);
    if (full && !(await trading.desk.find(ownerOf(caller), id)))
      throw orderRateFull(account.id, full.limit, full.retryAfterMs);
    const { order, created } = await trading.desk.place(ownerOf(caller), id, request);
    // Denied at the gate (or not a valid order for the instrument): recorded with its reason,
    // never sent, and answered as a problem carrying that reason.
    if (order.status === 'DENIED') {
      if (order.reason === null) {
        throw new InvariantError(
          'ORDER_EVENT_MISMATCH',
          `${order.clientOrderId}: denied, no reason`,
        );
      }
      return problem(order.reason, `order ${order.clientOrderId} denied: ${order.reason}`);
    }
    return { status: created ? 201 : 200, body: orderView(order) };
  }

  /** Cancels an open order the caller sees: 202; 404 unseen; 409 `ORDER_NOT_OPEN`. */
  async cancel(caller: Caller, id: string): Promise<CommandAnswer> {
    const found = await this.find(caller, id);
    if (!found) return problem('NOT_FOUND', `order ${id}: not found`);
    // A finished order cannot be canceled: say so, with its status, rather than a 202.
    if (!isOpen(found.order.status)) {
      return problem(
        'ORDER_NOT_OPEN',
        `order ${id} is ${found.order.status}: only an open order can be canceled`,
      );
    }
    const order = await found.trading.desk.cancel(found.order.strategyId, id);
    if (!order) return problem('NOT_FOUND', `order ${id}: not found`);
    return { status: 202, body: orderView(order) };
  }

  /**
   * An order the caller sees with its events: from its account's core when this instance trades
   * the account, else from the database (another instance owns it; reads are not handed over).
   */
  async detail(caller: Caller, id: string) {
    const at = await this.opts.reads.locate(id);
    if (!at || !(await this.opts.access.seesOrder(caller, at.accountId, at.strategyId))) {
      return null;
    }
    const trading = this.opts.accounts.trading(at.accountId);
    if (!trading) return (await this.opts.reads.stored?.(at.accountId, id)) ?? null;
    const order = await trading.desk.find(at.strategyId, id);
    return order ? { order, events: await trading.orders.events(order.clientOrderId) } : null;
  }

  /**
   * An order the caller sees, on whichever account it is, with that account's trading. Its
   * account's core not open here (its venue was down when it was to open, or it is being taken
   * over): the refusal that says so (`AccountAccess.tradingHere`), never "not found".
   */
  async find(caller: Caller, id: string) {
    const at = await this.opts.reads.locate(id);
    if (!at || !(await this.opts.access.seesOrder(caller, at.accountId, at.strategyId))) {
      return null;
    }
    const trading = this.opts.access.tradingHere(at.accountId, 'cancel');
    const order = await trading.desk.find(at.strategyId, id);
    return order ? { order, trading } : null;
  }

  /**
   * Runs a command handed over by another instance, answering as a local request would: a
   * refusal with its problem, an internal error as `INTERNAL` (logged here, where it happened).
   */
  readonly handle: CommandHandler = async (cmd) => {
    if (cmd.route === PORTFOLIO && this.opts.portfolio) return this.opts.portfolio(cmd);
    try {
      const caller = callerOf(cmd);
      if (cmd.route === PLACE && orderBody.Check(cmd.body) && cmd.idempotencyKey !== null) {
        return await this.place(caller, cmd.body, cmd.idempotencyKey);
      }
      if (cmd.route === CANCEL && cancelBody.Check(cmd.body)) {
        return await this.cancel(caller, cmd.body.id);
      }
      return problem('BAD_REQUEST', `${cmd.route}: not an order command of this version`);
    } catch (thrown) {
      // As `problem.ts` answers a local request's error, `Retry-After` included.
      const err = asStoreUnavailable(thrown);
      if (err instanceof KairosError) {
        const wait = retryAfterOfError(err);
        const answer = problem(err.code, err.message);
        return wait === undefined ? answer : { ...answer, headers: { 'retry-after': `${wait}` } };
      }
      this.opts.logger.error('internal error', { requestId: cmd.requestId, err });
      return problem('INTERNAL', 'internal error');
    }
  };
}

function callerOf(cmd: AccountCommand): Caller {
  const role = cmd.user.role as Role;
  if (!ROLES.includes(role)) throw new KairosError('BAD_REQUEST', `user.role: ${role} unknown`);
  return { sub: cmd.user.id, role };
}

/** `VENUE_ORDER_RATE` (429) naming the venue's limit, with `Retry-After` until a slot frees. */
function orderRateFull(
  accountId: string,
  limit: { limit: number; intervalMs: number },
  retryAfterMs: number,
): KairosError {
  const err = new KairosError(
    'VENUE_ORDER_RATE',
    `accountId: account ${accountId} has placed its venue's ${limit.limit} orders per ${limit.intervalMs / 1000} s; nothing was stored or sent; the next is taken in ${Math.ceil(retryAfterMs / 1000)} s`,
  );
  return Object.assign(err, { retryAfterS: Math.ceil(retryAfterMs / 1000) });
}

function problem(code: string, detail: string): CommandAnswer {
  const body = problemBody(code, detail);
  return { status: body.status, body };
}
