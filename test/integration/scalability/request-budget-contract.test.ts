import type { Redis } from 'ioredis';
import { connectRedis } from '../../../src/scalability/connections.js';
import { MemoryBudget } from '../../../src/scalability/rate-limit/memory-budget.js';
import { RedisBudget } from '../../../src/scalability/rate-limit/redis-budget.js';
import type {
  BudgetRule,
  RequestBudget,
} from '../../../src/scalability/rate-limit/request-budget.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from './services.js';

const prefix = uniquePrefix();
let redis: { redis: Redis; cleanup(): Promise<void> };
beforeAll(async () => {
  redis = await testRedis(prefix);
});
afterAll(async () => {
  await redis.cleanup();
});

/** 10 weight per 10 s: one weight comes back every second. */
const RULE: BudgetRule = { capacity: 10, intervalMs: 10_000 };
let clock = 0;
let run = 0;

type Make = (rule: BudgetRule | ((key: string) => BudgetRule)) => RequestBudget;
const IMPLEMENTATIONS: [string, Make][] = [
  ['memory', (rule) => new MemoryBudget({ rule, now: () => clock })],
  // A fresh prefix per test keeps the buckets of earlier tests (and their clocks) apart.
  [
    'redis',
    (rule) =>
      new RedisBudget(redis.redis, { rule, prefix: `${prefix}${++run}:`, now: () => clock }),
  ],
];

describe.each(IMPLEMENTATIONS)('%s request budget', (_name, make) => {
  let budget: RequestBudget;
  beforeEach(() => {
    clock = 1_700_000_000_000;
    budget = make(RULE);
  });

  it('grants the capacity, then refuses with the time until enough weight is back', async () => {
    for (let i = 0; i < 10; i++) expect(await budget.take('binance/k1')).toEqual({ ok: true });
    expect(await budget.take('binance/k1')).toEqual({ ok: false, retryAfterMs: 1_000 });
    expect(await budget.take('binance/k1', 3)).toEqual({ ok: false, retryAfterMs: 3_000 });
  });

  it('counts weights and refills continuously', async () => {
    expect(await budget.take('binance/k1', 4)).toEqual({ ok: true });
    expect(await budget.take('binance/k1', 4)).toEqual({ ok: true });
    expect(await budget.take('binance/k1', 4)).toEqual({ ok: false, retryAfterMs: 2_000 });
    clock += 1_999;
    expect(await budget.take('binance/k1', 4)).toEqual({ ok: false, retryAfterMs: 1 });
    clock += 1;
    expect(await budget.take('binance/k1', 4)).toEqual({ ok: true });
    expect(await budget.take('binance/k1', 1)).toEqual({ ok: false, retryAfterMs: 1_000 });
    clock += 500;
    expect(await budget.take('binance/k1', 1)).toEqual({ ok: false, retryAfterMs: 500 });
  });

  it('never holds more than the capacity, however long it was idle', async () => {
    await budget.take('binance/k1', 10);
    clock += 3_600_000;
    expect(await budget.take('binance/k1', 10)).toEqual({ ok: true });
    expect(await budget.take('binance/k1', 1)).toEqual({ ok: false, retryAfterMs: 1_000 });
  });

  it('keeps one bucket per key', async () => {
    expect(await budget.take('binance/k1', 10)).toEqual({ ok: true });
    expect(await budget.take('binance/k2', 10)).toEqual({ ok: true });
    expect(await budget.take('kraken/k1', 10)).toEqual({ ok: true });
    expect((await budget.take('binance/k2')).ok).toBe(false);
  });

  it('refuses every take during a ban on the venue, then the full budget is there', async () => {
    await budget.block('binance', clock + 120_000, 'HTTP 418 IP banned');
    for (const key of ['binance', 'binance/k1', 'binance/k2']) {
      expect(await budget.take(key)).toEqual({
        ok: false,
        retryAfterMs: 120_000,
        ban: 'HTTP 418 IP banned',
      });
    }
    expect(await budget.take('kraken/k1')).toEqual({ ok: true });
    expect(await budget.blockedUntil('binance/k1')).toEqual({
      untilMs: clock + 120_000,
      reason: 'HTTP 418 IP banned',
    });
    clock += 119_999;
    expect(await budget.take('binance/k1')).toMatchObject({ ok: false, retryAfterMs: 1 });
    clock += 1;
    expect(await budget.blockedUntil('binance/k1')).toBeUndefined();
    expect(await budget.take('binance/k1', 10)).toEqual({ ok: true });
  });

  it('bans one API key without stopping the venue or its other keys', async () => {
    await budget.block('binance/k1', clock + 30_000, 'HTTP 429 Retry-After 30');
    expect(await budget.take('binance/k1')).toMatchObject({ ok: false, retryAfterMs: 30_000 });
    expect(await budget.take('binance/k2')).toEqual({ ok: true });
    expect(await budget.take('binance')).toEqual({ ok: true });
    expect(await budget.blockedUntil('binance')).toBeUndefined();
  });

  it('keeps the later ban: a short 429 does not shorten a 418', async () => {
    await budget.block('binance', clock + 600_000, 'HTTP 418');
    await budget.block('binance', clock + 1_000, 'HTTP 429');
    await budget.block('binance/k1', clock + 5_000, 'HTTP 429 on the key');
    expect(await budget.blockedUntil('binance/k1')).toEqual({
      untilMs: clock + 600_000,
      reason: 'HTTP 418',
    });
    await budget.block('binance', clock + 900_000, 'HTTP 418 again');
    expect(await budget.take('binance/k1')).toEqual({
      ok: false,
      retryAfterMs: 900_000,
      ban: 'HTTP 418 again',
    });
  });

  it('ignores a ban that has already ended', async () => {
    await budget.block('binance', clock - 1, 'old news');
    expect(await budget.blockedUntil('binance')).toBeUndefined();
    expect(await budget.take('binance')).toEqual({ ok: true });
  });

  it('uses the rule chosen for each key', async () => {
    const perKey = make((key) =>
      key.startsWith('kraken') ? { capacity: 2, intervalMs: 1_000 } : RULE,
    );
    expect(await perKey.take('kraken/k1', 2)).toEqual({ ok: true });
    expect(await perKey.take('kraken/k1', 1)).toEqual({ ok: false, retryAfterMs: 500 });
    expect(await perKey.take('binance/k9', 10)).toEqual({ ok: true });
  });

  it('rejects weights, rules and keys that can never work', async () => {
    for (const weight of [0, -1, 1.5, 11, Number.NaN]) {
      await expect(budget.take('binance/k1', weight)).rejects.toMatchObject({
        code: 'BUDGET_WEIGHT_INVALID',
      });
    }
    await expect(make({ capacity: 0, intervalMs: 1 }).take('binance')).rejects.toMatchObject({
      code: 'BUDGET_RULE_INVALID',
    });
    for (const key of ['', 'binance/', 'bin ance', 'a/b c', 'x'.repeat(65)]) {
      await expect(budget.take(key)).rejects.toMatchObject({ code: 'BUDGET_KEY_INVALID' });
    }
  });
});

describe('redis request budget across processes', () => {
  it('two instances on two connections share one budget exactly under 200 concurrent takes', async () => {
    const second = await connectRedis(TEST_REDIS_URL);
    try {
      const rule = { capacity: 100, intervalMs: 60_000 };
      const now = () => 1_700_000_000_000;
      const a = new RedisBudget(redis.redis, { rule, prefix, now });
      const b = new RedisBudget(second, { rule, prefix, now });
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).take('binance/shared')),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(100);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.retryAfterMs === 600)).toBe(true);

      await a.block('binance', now() + 60_000, 'HTTP 418 seen by process A');
      expect(await b.take('binance/other')).toEqual({
        ok: false,
        retryAfterMs: 60_000,
        ban: 'HTTP 418 seen by process A',
      });
      expect(await b.blockedUntil('binance/shared')).toMatchObject({ untilMs: now() + 60_000 });
    } finally {
      await second.quit();
    }
  });

  it('lays keys out under the prefix with the venue as the cluster hash tag', async () => {
    const p = `${prefix}layout:`;
    const budget = new RedisBudget(redis.redis, { rule: RULE, prefix: p, now: () => 5_000_000 });
    await budget.take('binance/k1');
    await budget.block('binance', 5_060_000, 'ban');
    expect(await redis.redis.hgetall(`${p}{binance}:bucket:binance/k1`)).toEqual({
      level: String(9 * RULE.intervalMs),
      at: '5000000',
    });
    expect(await redis.redis.hgetall(`${p}{binance}:ban:binance`)).toEqual({
      until: '5060000',
      reason: 'ban',
    });
  });

  it('fails closed: a take with the store unreachable throws CACHE_UNAVAILABLE', async () => {
    const gone = await connectRedis(TEST_REDIS_URL);
    gone.disconnect();
    const budget = new RedisBudget(gone, { rule: RULE, prefix });
    await expect(budget.take('binance/k1')).rejects.toMatchObject({ code: 'CACHE_UNAVAILABLE' });
    await expect(budget.block('binance', Date.now() + 1000, 'x')).rejects.toMatchObject({
      code: 'CACHE_UNAVAILABLE',
    });
  });
});
