import type { BudgetRule } from './request-budget.js';

/**
 * The token bucket that keeps a client under `margin` (default 80 %) of a venue's limit of
 * `limit` weight per `windowMs` in **every** window, including the venue's fixed clock windows
 * (Binance counts weight per clock minute).
 *
 * A bucket of capacity `c` refilled over `i` ms can spend its full burst and then its refill: up
 * to `c + c·windowMs/i` in one window. With `i = windowMs / 6` that is `7c`, so `c` is a seventh
 * of the allowed weight: 1,200/min gives a burst of 137 and a steady 822/min.
 *
 * @example
 * windowRule(6000, 60_000); // { capacity: 685, intervalMs: 10_000 }
 */
export function windowRule(limit: number, windowMs: number, margin = 0.8): BudgetRule {
  const allowed = Math.floor(limit * margin);
  return {
    capacity: Math.max(1, Math.floor(allowed / 7)),
    intervalMs: Math.max(1, Math.floor(windowMs / 6)),
  };
}
