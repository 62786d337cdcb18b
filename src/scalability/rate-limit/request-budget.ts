import { InvariantError } from '../../trading/core/errors.js';

/** The answer of {@link RequestBudget.take}. */
export type TakeResult =
  | { readonly ok: true }
  /** Refused: retry after `retryAfterMs`; `ban` carries the ban's reason when one refused it. */
  | { readonly ok: false; readonly retryAfterMs: number; readonly ban?: string };

/** A ban recorded with {@link RequestBudget.block}. */
export interface Ban {
  readonly untilMs: number;
  readonly reason: string;
}

/**
 * A token bucket: it holds at most `capacity` weight and refills `capacity` weight evenly over
 * `intervalMs`. Binance's "1200 weight per minute" with 20 % headroom is
 * `{ capacity: 960, intervalMs: 60_000 }`. Both are positive integers.
 */
export interface BudgetRule {
  readonly capacity: number;
  readonly intervalMs: number;
}

/**
 * A request budget shared by everything that calls one venue with one API key, and the bans
 * the venue imposed (HTTP 429 Retry-After, 418 "IP banned until").
 *
 * Keys are `/`-separated scopes, built with {@link budgetKey}: `binance` is the venue,
 * `binance/key-7` one API key on it. A ban on a key blocks it and every key below it, so a 418
 * on `binance` stops every API key on that venue; each key has its own bucket.
 * Failures of a remote store throw `KairosError('CACHE_UNAVAILABLE')`: callers fail closed.
 *
 * @example
 * const r = await budget.take(budgetKey('binance', 'key-7'), 5);
 * if (!r.ok) return later(r.retryAfterMs);
 */
export interface RequestBudget {
  /** Takes `weight` (a positive integer, default 1) from the key's bucket, unless banned or short. */
  take(key: string, weight?: number): Promise<TakeResult>;
  /** Bans the key (and the keys below it) until `untilMs`; a later ban already set is kept. */
  block(key: string, untilMs: number, reason: string): Promise<void>;
  /** The ban in force on the key or a key above it (the latest one), if any. */
  blockedUntil(key: string): Promise<Ban | undefined>;
}

const SEGMENT = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Builds a budget key from its scopes: venue first, then an API key id (never the secret).
 *
 * @example
 * budgetKey('binance', 'acct-1'); // 'binance/acct-1'
 */
export function budgetKey(venue: string, ...scopes: string[]): string {
  const key = [venue, ...scopes].join('/');
  assertBudgetKey(key);
  return key;
}

/**
 * The key and the keys above it, outermost first: `a/b/c` gives `a`, `a/b`, `a/b/c`.
 *
 * @example
 * banScopes('binance/acct-1'); // ['binance', 'binance/acct-1']
 */
export function banScopes(key: string): string[] {
  const parts = key.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Throws `BUDGET_KEY_INVALID` unless every segment is 1-64 of `A-Za-z0-9._:-`. */
export function assertBudgetKey(key: string): void {
  if (!key.split('/').every((s) => SEGMENT.test(s))) {
    throw new InvariantError(
      'BUDGET_KEY_INVALID',
      `budget key ${JSON.stringify(key)}: segments of 1-64 characters A-Za-z0-9._:- joined by /`,
    );
  }
}

/** Throws `BUDGET_RULE_INVALID` / `BUDGET_WEIGHT_INVALID` for a rule or weight that can never work. */
export function assertTake(rule: BudgetRule, weight: number): void {
  const positive = (n: number) => Number.isSafeInteger(n) && n > 0;
  if (
    !positive(rule.capacity) ||
    !positive(rule.intervalMs) ||
    !Number.isSafeInteger(rule.capacity * rule.intervalMs)
  ) {
    throw new InvariantError(
      'BUDGET_RULE_INVALID',
      `capacity ${rule.capacity} and intervalMs ${rule.intervalMs} must be positive integers (product below 2^53)`,
    );
  }
  if (!positive(weight) || weight > rule.capacity) {
    throw new InvariantError(
      'BUDGET_WEIGHT_INVALID',
      `weight ${weight}: must be a positive integer no larger than the capacity ${rule.capacity}`,
    );
  }
}
