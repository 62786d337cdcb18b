import {
  assertBudgetKey,
  assertTake,
  banScopes,
  type Ban,
  type BudgetRule,
  type RequestBudget,
  type TakeResult,
} from './request-budget.js';

/** Options of {@link MemoryBudget}. */
export interface MemoryBudgetOptions {
  /** The bucket of every key, or a function choosing one per key. */
  readonly rule: BudgetRule | ((key: string) => BudgetRule);
  /** The clock in ms (default `Date.now`); tests pass a fake one. */
  readonly now?: () => number;
}

interface Bucket {
  /** Weight left, in units of 1/intervalMs weight, so refill stays integer arithmetic. */
  level: number;
  at: number;
}

/**
 * The embedded request budget: a token bucket per key in this process. It is the same
 * algorithm as `RedisBudget` (the contract tests run both), for a single instance.
 *
 * @example
 * const budget = new MemoryBudget({ rule: { capacity: 960, intervalMs: 60_000 } });
 */
export class MemoryBudget implements RequestBudget {
  readonly #buckets = new Map<string, Bucket>();
  readonly #bans = new Map<string, Ban>();
  readonly #rule: (key: string) => BudgetRule;
  readonly #now: () => number;

  constructor(options: MemoryBudgetOptions) {
    const rule = options.rule;
    this.#rule = typeof rule === 'function' ? rule : () => rule;
    this.#now = options.now ?? Date.now;
  }

  async take(key: string, weight = 1): Promise<TakeResult> {
    assertBudgetKey(key);
    const rule = this.#rule(key);
    assertTake(rule, weight);
    const now = this.#now();
    const ban = this.#ban(key, now);
    if (ban) return { ok: false, retryAfterMs: ban.untilMs - now, ban: ban.reason };

    const full = rule.capacity * rule.intervalMs;
    const bucket = this.#buckets.get(key) ?? { level: full, at: now };
    if (now > bucket.at) {
      const elapsed = now - bucket.at;
      bucket.level =
        elapsed >= rule.intervalMs ? full : Math.min(full, bucket.level + elapsed * rule.capacity);
      bucket.at = now;
    }
    this.#buckets.set(key, bucket);
    const cost = weight * rule.intervalMs;
    if (bucket.level >= cost) {
      bucket.level -= cost;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil((cost - bucket.level) / rule.capacity) };
  }

  async block(key: string, untilMs: number, reason: string): Promise<void> {
    assertBudgetKey(key);
    const current = this.#bans.get(key);
    if (untilMs <= this.#now() || (current && current.untilMs >= untilMs)) return;
    this.#bans.set(key, { untilMs, reason });
  }

  async blockedUntil(key: string): Promise<Ban | undefined> {
    assertBudgetKey(key);
    return this.#ban(key, this.#now());
  }

  /** The latest ban in force on the key or above it; expired bans are dropped. */
  #ban(key: string, now: number): Ban | undefined {
    let latest: Ban | undefined;
    for (const scope of banScopes(key)) {
      const ban = this.#bans.get(scope);
      if (ban === undefined) continue;
      if (ban.untilMs <= now) this.#bans.delete(scope);
      else if (latest === undefined || ban.untilMs > latest.untilMs) latest = ban;
    }
    return latest;
  }
}
