import type { OrderStore } from '../../src/trading/execution/order-store.js';

/**
 * `store` with some of its methods replaced (the others bound to it: a repository's private
 * fields need their own receiver).
 *
 * @example
 * const whole = withOverrides(repo, { ledgerStart: () => repo.ledgerStart(true) });
 */
export function withOverrides(store: OrderStore, over: Partial<OrderStore>): OrderStore {
  return new Proxy(store, {
    get: (target, key) => {
      if (key in over) return over[key as keyof OrderStore];
      const v: unknown = Reflect.get(target, key);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
