import { MemoryBudget } from '../scalability/rate-limit/memory-budget.js';
import { RedisBudget } from '../scalability/rate-limit/redis-budget.js';
import { windowRule } from '../scalability/rate-limit/window-rule.js';
import type { Alert } from '../trading/model/alert.js';
import type { ExchangeConfig } from '../trading/venues/ccxt/exchange-factory.js';

/** A Redis connection (`connectRedis`). */
type RedisClient = ConstructorParameters<typeof RedisBudget>[0];

/** Where venue budgets live: Redis (shared by every process on it) or, with null, this process. */
export interface BudgetStore {
  readonly redis: RedisClient | null;
  /** The service's Redis key prefix (`KAIROS_REDIS_PREFIX`, default `kairos:`). */
  readonly prefix?: string;
}

/**
 * One request budget for one venue key (`ExchangeConfig.budget`): 80 % of the weight per minute
 * the venue advertises (`exchangeInfo.rateLimits`), until it has said 80 % of Binance's
 * documented 1,200; in Redis when given (shared by every process), else in this process.
 *
 * @example
 * const { exchange } = await createExchange({ exchangeId: 'binance', budget: venueBudget(null, on) });
 */
export function venueBudget(
  redis: RedisClient | null,
  on: {
    alert: (a: Alert) => void;
    log: (line: string) => void;
    /** Told the venue's tightest advertised order-rate limit (Binance: `ORDERS` per 10 s). */
    orderLimit?: (limit: { limit: number; intervalMs: number }) => void;
  },
  key?: string,
  /** The service's Redis key prefix (`KAIROS_REDIS_PREFIX`): the budget lives under `<prefix>rl:`. */
  redisPrefix = 'kairos:',
): NonNullable<ExchangeConfig['budget']> {
  let rule = windowRule(1_200, 60_000);
  const budget = redis
    ? new RedisBudget(redis, { rule: () => rule, prefix: `${redisPrefix}rl:` })
    : new MemoryBudget({ rule: () => rule });
  return {
    budget,
    ...(key === undefined ? {} : { key }),
    onAlert: on.alert,
    maxWeight: () => rule.capacity,
    onRateLimits: (limits) => {
      const orders = limits
        .filter((l) => l.type === 'ORDERS')
        .sort((a, b) => a.intervalMs - b.intervalMs)[0];
      if (orders) on.orderLimit?.({ limit: orders.limit, intervalMs: orders.intervalMs });
      const weight = limits.find((l) => l.type === 'REQUEST_WEIGHT');
      if (!weight) return;
      const next = windowRule(weight.limit, weight.intervalMs);
      if (next.capacity !== rule.capacity || next.intervalMs !== rule.intervalMs)
        on.log(
          `request budget: 80 % of the ${weight.limit} weight per ${weight.intervalMs / 1000} s the venue advertises`,
        );
      rule = next;
    },
  };
}
