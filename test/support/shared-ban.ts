import type { Redis } from 'ioredis';
import { RedisBudget } from '../../src/scalability/rate-limit/redis-budget.js';
import { venueBudgetScope } from '../../src/trading/venues/ccxt/budget-scope.js';

/**
 * Records on Binance's shared request budget in Redis (under `<prefix>rl:`, as `venueBudget`
 * keeps it) a ban until `untilMs`, as another process that met the venue's 418 would.
 */
export async function recordSharedBan(
  redis: Redis,
  prefix: string,
  untilMs: number,
): Promise<void> {
  await new RedisBudget(redis, {
    rule: { capacity: 1_000, intervalMs: 60_000 },
    prefix: `${prefix}rl:`,
  }).block(venueBudgetScope('binance'), untilMs, 'HTTP 418: banned by the venue (another process)');
}
