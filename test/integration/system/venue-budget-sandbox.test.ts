import fc from 'fast-check';
import type { Redis } from 'ioredis';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { RedisBudget } from '../../../src/scalability/rate-limit/redis-budget.js';
import { budgetKey } from '../../../src/scalability/rate-limit/request-budget.js';
import { venueBudget } from '../../../src/system/venue-budget.js';
import { venueExchangeConfig } from '../../../src/system/venue-connection.js';
import { venueBudgetScope } from '../../../src/trading/venues/ccxt/budget-scope.js';
import {
  createExchange,
  type BuiltExchange,
} from '../../../src/trading/venues/ccxt/exchange-factory.js';
import { VenueRateLimitedError } from '../../../src/trading/venues/ccxt/request-gate.js';
import { startSim } from '../../support/ccxt-sim.js';
import { until } from '../../support/until.js';
import { testRedis, uniquePrefix } from '../scalability/services.js';

/**
 * A venue's sandbox (`EXCHANGE_SANDBOX=1`) is another host with limits of its own: its request
 * budget and bans in Redis are its own, apart from the production venue's, while every process on
 * one venue and mode still shares one (`docs/venues.md`, "Request budgets in kairos serve"). Until
 * 2026-12-07 both took the key `<venue>`: a testnet node spent the production budget, and a ban
 * met on the testnet stopped production.
 */
describe('venue request budgets: sandbox and production apart, one per venue and mode', () => {
  it('the scopes: the same venue and mode share one, a sandbox and its production venue never', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('binance', 'okx', 'bybit', 'kraken'),
        fc.constantFrom('binance', 'okx', 'bybit', 'kraken'),
        fc.boolean(),
        fc.boolean(),
        (a, b, sa, sb) => {
          const [x, y] = [venueBudgetScope(a, sa), venueBudgetScope(b, sb)];
          expect(x === y).toBe(a === b && sa === sb);
          // Neither is above the other (a ban on a scope stops the keys below it).
          expect(x.startsWith(`${y}/`) || y.startsWith(`${x}/`)).toBe(false);
          // A budget key as Redis and memory budgets take it.
          expect(budgetKey(x)).toBe(x);
        },
      ),
      { seed: 20261207, numRuns: 100 },
    );
  });

  describe('on Redis, through the gate every ccxt client has (the simulator)', () => {
    const prefix = uniquePrefix();
    let redis: Redis;
    let cleanup: () => Promise<void>;
    let sim: BinanceSim;
    const built: BuiltExchange[] = [];

    beforeAll(async () => {
      ({ redis, cleanup } = await testRedis(prefix));
      sim = await startSim();
    });
    afterAll(async () => {
      for (const b of built) await b.exchange.close();
      await sim?.close();
      await cleanup?.();
    });

    /** A process's client of binance (production or its sandbox), on its own budget object. */
    const processClient = async (sandbox: boolean) => {
      const on = { alert: () => undefined, log: () => undefined };
      const setting = {
        id: 'binance',
        url: sim.url,
        ...(sandbox ? { sandbox: true as const } : {}),
      };
      const b = await createExchange(
        venueExchangeConfig(setting, {}, venueBudget(redis, on, undefined, prefix)),
      );
      built.push(b);
      return b.exchange;
    };

    it('a ban met by a production process stops the other production process, not a sandbox one', async () => {
      const [prodA, prodB, sandbox] = [
        await processClient(false),
        await processClient(false),
        await processClient(true),
      ];
      // All three reach the venue (the sandbox's URLs rewritten to the simulator too).
      for (const ex of [prodA, prodB, sandbox]) expect(await ex.fetchTime()).toBeGreaterThan(0);

      // The venue bans production process A's IP: recorded in Redis on production's scope.
      sim.faults.set({ rateLimit: { after: 0, tooMany: 0, banMs: 600_000 } });
      await expect(prodA.fetchTime()).rejects.toThrow();
      sim.faults.set({ rateLimit: null });
      const shared = new RedisBudget(redis, {
        rule: { capacity: 1_000, intervalMs: 60_000 },
        prefix: `${prefix}rl:`,
      });
      await until(
        async () => (await shared.blockedUntil(venueBudgetScope('binance'))) !== undefined,
        10_000,
        'the ban recorded in Redis',
      );

      // Production process B shares the ban: refused, nothing sent.
      await expect(prodB.fetchTime()).rejects.toBeInstanceOf(VenueRateLimitedError);
      // The sandbox is another host: its budget is its own, and it is answered.
      expect(await sandbox.fetchTime()).toBeGreaterThan(0);
      expect(await shared.blockedUntil(venueBudgetScope('binance', true))).toBeUndefined();
    }, 60_000);
  });
});
