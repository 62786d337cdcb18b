import { toDecimal, ZERO, type Decimal } from '../../trading/core/decimal.js';
import { BinanceErrors } from './binance-error.js';
import { fmt } from './format.js';

interface Balance {
  free: Decimal;
  locked: Decimal;
}

/** One asset's balance as the user data stream reports it. */
export interface BalanceUpdate {
  readonly a: string;
  readonly f: string;
  readonly l: string;
}

/**
 * The spot account of the simulated venue: free and locked balance per asset, exact decimals.
 * It remembers which assets changed since `takeChanged()` (for `outboundAccountPosition`).
 *
 * @example
 * const acct = new Account({ USDT: '1000' });
 * acct.lock('USDT', Dec('100')); // throws Binance -2010 when free < 100
 */
export class Account {
  readonly #balances = new Map<string, Balance>();
  readonly #changed = new Set<string>();

  constructor(initial: Readonly<Record<string, string>>) {
    for (const [asset, amount] of Object.entries(initial))
      this.#balances.set(asset, { free: toDecimal(amount), locked: ZERO });
  }

  /** An account with saved balances (free and locked), as `balances()` lists them. */
  static restore(rows: readonly { asset: string; free: string; locked: string }[]): Account {
    const acct = new Account({});
    for (const r of rows)
      acct.#balances.set(r.asset, { free: toDecimal(r.free), locked: toDecimal(r.locked) });
    return acct;
  }

  #get(asset: string): Balance {
    let b = this.#balances.get(asset);
    if (!b) {
      b = { free: ZERO, locked: ZERO };
      this.#balances.set(asset, b);
    }
    this.#changed.add(asset);
    return b;
  }

  /** The free balance of an asset. */
  free(asset: string): Decimal {
    return this.#balances.get(asset)?.free ?? ZERO;
  }

  /** Moves `amount` from free to locked; Binance -2010 when the free balance is short. */
  lock(asset: string, amount: Decimal): void {
    if (this.free(asset).lt(amount)) throw BinanceErrors.insufficient();
    const b = this.#get(asset);
    b.free = b.free.minus(amount);
    b.locked = b.locked.plus(amount);
  }

  /** Moves `amount` from locked back to free. */
  unlock(asset: string, amount: Decimal): void {
    if (amount.eq(0)) return;
    const b = this.#get(asset);
    b.locked = b.locked.minus(amount);
    b.free = b.free.plus(amount);
  }

  /** Spends `amount` out of the locked balance (a fill). */
  spendLocked(asset: string, amount: Decimal): void {
    const b = this.#get(asset);
    b.locked = b.locked.minus(amount);
  }

  /** Adds to the free balance (the proceeds of a fill). */
  credit(asset: string, amount: Decimal): void {
    const b = this.#get(asset);
    b.free = b.free.plus(amount);
  }

  /** Every balance, as `GET /api/v3/account` lists them. */
  balances(): { asset: string; free: string; locked: string }[] {
    return [...this.#balances]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([asset, b]) => ({ asset, free: fmt(b.free), locked: fmt(b.locked) }));
  }

  /** The balances changed since the last call (empty when none). */
  takeChanged(): BalanceUpdate[] {
    const out = [...this.#changed].sort().map((a) => {
      const b = this.#balances.get(a)!;
      return { a, f: fmt(b.free), l: fmt(b.locked) };
    });
    this.#changed.clear();
    return out;
  }
}
