import { ZERO, type Decimal } from '../core/decimal.js';
import { addDecimals, signOf, subtractDecimals } from '../core/scaled-decimal.js';
import { assertNever } from '../core/errors.js';
import { SmallMap } from '../core/small-map.js';
import { leavesQuantity, type Order } from './order.js';
import type { OrderSide } from './order-types.js';

/** Which open orders a total counts: the account's, one strategy's or one instrument's. */
export type OpenOrderScope =
  | { readonly kind: 'account' }
  | { readonly kind: 'strategy'; readonly strategyId: string }
  | { readonly kind: 'instrument'; readonly instrumentId: string };

/** The fee a resting buy is valued with: maker for post-only limits, the higher one otherwise. */
export type FeeClass = 'maker' | 'worst';

/**
 * The open orders (submitted, not yet terminal), in the order they opened, with running totals
 * kept as each one opens, fills or closes, so the risk gate reads them in O(1) instead of summing
 * every open order for each new one: counts per scope, leaves quantity per scope × instrument ×
 * side, and for buys the notional (leaves × limit or trigger price) per instrument and fee class.
 * Buys without a price (market orders) are valued at the last price by the reader, so they are
 * listed apart. Every sum is exact.
 *
 * @example
 * open.update(before, after); // each time an order changes (undefined: not open)
 * open.leaves({ kind: 'account' }, 'BTC/USDT', 'BUY');
 */
export class OpenOrders {
  readonly #orders = new SmallMap<string, Order>();
  /** Totals by key, for the readers; an order's events reach the same records through `#keys`. */
  readonly #counts = new Map<string, Count>();
  /**
   * Leaves totals by scope key, instrument and side: nested, so a reader's look-up (the risk gate,
   * twice an order) makes no key string to flatten and hash.
   */
  readonly #leaves = new Map<string, Map<string, SideLeaves>>();
  readonly #buys = new Map<string, Record<FeeClass, Decimal>>();
  readonly #unpriced = new SmallMap<string, Order>();
  /** The keys an order counts under, per strategy and instrument (made once, not per event). */
  readonly #keys = new Map<string, Map<string, OrderKeys>>();

  /** Replaces `before` (the order as it was, if it was open) by `after` (now, if still open). */
  update(before: Order | undefined, after: Order | undefined): void {
    // Stryker disable next-line BlockStatement: equivalent, the fast path only saves work; removing and re-adding the same order gives the same totals
    if (before && after && sameTotals(before, after)) {
      // An event that changes no total (accepted, pending cancel): only the value is replaced.
      this.#orders.set(after.clientOrderId, after);
      if (this.#unpriced.has(after.clientOrderId)) this.#unpriced.set(after.clientOrderId, after);
      return;
    }
    if (before) this.#apply(before, -1);
    if (after) {
      this.#apply(after, 1);
      this.#orders.set(after.clientOrderId, after); // an update keeps the order's place
    } else if (before) this.#orders.delete(before.clientOrderId);
  }

  /** The open order with this client order id. */
  get(clientOrderId: string): Order | undefined {
    return this.#orders.get(clientOrderId);
  }

  /** Every open order, oldest first. */
  all(): IterableIterator<Order> {
    return this.#orders.values();
  }

  /** How many orders are open. */
  get size(): number {
    return this.#orders.size;
  }

  /** Open orders in the scope. */
  count(scope: OpenOrderScope): number {
    return this.#counts.get(scopeKey(scope))?.n ?? 0;
  }

  /** Leaves quantity of the scope's open orders on one instrument and side. */
  leaves(scope: OpenOrderScope, instrumentId: string, side: OrderSide): Decimal {
    return this.#leaves.get(scopeKey(scope))?.get(instrumentId)?.[side]?.total ?? ZERO;
  }

  /** Σ leaves × (limit or trigger) price of the open buys on an instrument in one fee class. */
  buyNotional(instrumentId: string, fee: FeeClass): Decimal {
    return this.#buys.get(instrumentId)?.[fee] ?? ZERO;
  }

  /** Instruments with priced open buys. */
  instrumentsWithBuys(): IterableIterator<string> {
    return this.#buys.keys();
  }

  /** Open buys without a limit or trigger price (valued at the last price by the reader). */
  unpricedBuys(): IterableIterator<Order> {
    return this.#unpriced.values();
  }

  #keysOf(o: Order): OrderKeys {
    let byInstrument = this.#keys.get(o.strategyId);
    // Stryker disable next-line ConditionalExpression: equivalent, a cache miss only makes the same keys again
    if (byInstrument === undefined) this.#keys.set(o.strategyId, (byInstrument = new Map()));
    let keys = byInstrument.get(o.instrumentId);
    // Stryker disable next-line ConditionalExpression: equivalent, a cache miss only makes the same keys again
    if (keys === undefined) {
      const scopes = orderKeys(o);
      const leavesOf = (side: OrderSide) =>
        scopes.map((k) => {
          const bySide = record(
            record(this.#leaves, k, newSideLeavesMap),
            o.instrumentId,
            newSideLeaves,
          );
          return (bySide[side] ??= newLeaves());
        });
      keys = {
        counts: scopes.map((k) => record(this.#counts, k, newCount)),
        BUY: leavesOf('BUY'),
        SELL: leavesOf('SELL'),
      };
      byInstrument.set(o.instrumentId, keys);
    }
    return keys;
  }

  #apply(o: Order, sign: 1 | -1): void {
    // Added or taken away as it is: big.js's x - y is x + (-y), without the negated copy.
    const leaves = leavesQuantity(o);
    const keys = this.#keysOf(o);
    const counts = keys.counts;
    const totals = keys[o.side];
    // The records themselves, no map look-up per event. A total back at zero keeps its record
    // (a 0, and ZERO for a sum, read as an absent key does).
    for (let i = 0; i < counts.length; i++) {
      counts[i]!.n += sign;
      const t = totals[i]!;
      const sum = sign === 1 ? addDecimals(t.total, leaves) : subtractDecimals(t.total, leaves);
      // Stryker disable next-line ConditionalExpression: equivalent, a zero sum is +0 (n − n), the value ZERO has
      t.total = signOf(sum) === 0 ? ZERO : sum;
    }
    if (o.side !== 'BUY') return;
    const price = o.price ?? o.triggerPrice;
    if (price === null) {
      if (sign === 1) this.#unpriced.set(o.clientOrderId, o);
      else this.#unpriced.delete(o.clientOrderId);
      return;
    }
    const buys = this.#buys.get(o.instrumentId) ?? { maker: ZERO, worst: ZERO };
    const fee = feeClass(o);
    const add = (sign === 1 ? leaves : leaves.neg()).times(price);
    const next =
      fee === 'maker'
        ? { maker: buys.maker.plus(add), worst: buys.worst }
        : { maker: buys.maker, worst: buys.worst.plus(add) };
    if (signOf(next.maker) === 0 && signOf(next.worst) === 0) this.#buys.delete(o.instrumentId);
    else this.#buys.set(o.instrumentId, next);
  }
}

/** A count of open orders in one scope. */
interface Count {
  n: number;
}

/** A leaves total of one scope, instrument and side. */
interface Leaves {
  total: Decimal;
}

/** The leaves totals of one scope and instrument, per side (made on first use). */
type SideLeaves = Partial<Record<OrderSide, Leaves>>;

/** The totals an order counts in: a count per scope, and per side a leaves total per scope. */
interface OrderKeys {
  readonly counts: readonly Count[];
  readonly BUY: readonly Leaves[];
  readonly SELL: readonly Leaves[];
}

function newCount(): Count {
  return { n: 0 };
}

function newLeaves(): Leaves {
  return { total: ZERO };
}

function newSideLeaves(): SideLeaves {
  return {};
}

function newSideLeavesMap(): Map<string, SideLeaves> {
  return new Map();
}

/** The record under `key`, made (and kept) on first use. */
function record<T>(map: Map<string, T>, key: string, make: () => T): T {
  let r = map.get(key);
  if (r === undefined) map.set(key, (r = make()));
  return r;
}

/**
 * Whether two values of one order count the same in every total: the same scopes, side, price,
 * trigger, fee class and leaves (the same decimals, as the order's events carry them over).
 */
function sameTotals(a: Order, b: Order): boolean {
  // One order's events never change its id, owner, instrument, side, type, flags, prices or
  // quantity (there is no amend), so those comparisons only guard the fast path: a mutant that
  // drops one gives the same totals. The filled quantity is what changes, and stays mutated.
  // Stryker disable all: equivalent, see above
  return (
    a.clientOrderId === b.clientOrderId &&
    a.strategyId === b.strategyId &&
    a.instrumentId === b.instrumentId &&
    a.side === b.side &&
    a.type === b.type &&
    a.postOnly === b.postOnly &&
    a.price === b.price &&
    a.triggerPrice === b.triggerPrice &&
    a.quantity === b.quantity &&
    // Stryker restore all
    a.filledQuantity === b.filledQuantity
  );
}

/** The fee class an open buy is valued with. */
export function feeClass(o: Order): FeeClass {
  return o.type === 'LIMIT' && o.postOnly ? 'maker' : 'worst';
}

/** Whether an order counts in a scope. */
export function inScope(scope: OpenOrderScope, o: Order): boolean {
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, every order's keys include 'a' (a shortcut)
  return scopeKey(scope) === 'a' || orderKeys(o).includes(scopeKey(scope));
}

function orderKeys(o: Order): string[] {
  return ['a', `s:${o.strategyId}`, `i:${o.instrumentId}`];
}

function scopeKey(scope: OpenOrderScope): string {
  switch (scope.kind) {
    case 'account':
      return 'a';
    case 'strategy':
      return `s:${scope.strategyId}`;
    case 'instrument':
      return `i:${scope.instrumentId}`;
    default:
      return assertNever(scope);
  }
}
