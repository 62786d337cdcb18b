import { MemoryBudget } from '../../../src/scalability/rate-limit/memory-budget.js';
import type { BudgetRule } from '../../../src/scalability/rate-limit/request-budget.js';
import { windowRule } from '../../../src/scalability/rate-limit/window-rule.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { createExchange } from '../../../src/trading/venues/ccxt/exchange-factory.js';
import { startSim } from '../../support/ccxt-sim.js';

const MINUTE = 60_000;

describe('request weight against the venue advertised limit', () => {
  let sim: BinanceSim;
  afterEach(async () => {
    await sim.close();
  });

  it('takes 80 % of exchangeInfo.rateLimits as its budget and never meets a 429 in a long trade catch-up', async () => {
    // Venue time runs by hand, ahead of ours; requests are stamped in it.
    const clock = { offset: 0, now: () => Date.now() + clock.offset };
    sim = await startSim({ weightPerMinute: 300, clock });
    let rule: BudgetRule = windowRule(1_200, MINUTE);
    const alerts: Alert[] = [];
    const { exchange, gate } = await createExchange({
      exchangeId: 'binance',
      apiKey: sim.apiKey,
      secret: sim.secret,
      exchangeUrl: sim.url,
      rateLimitMs: 1,
      budget: {
        budget: new MemoryBudget({ rule: () => rule, now: clock.now }),
        now: clock.now,
        maxWaitMs: 0,
        onAlert: (a) => alerts.push(a),
        maxWeight: () => rule.capacity,
        onRateLimits: (limits) => {
          const w = limits.find((l) => l.type === 'REQUEST_WEIGHT')!;
          rule = windowRule(w.limit, w.intervalMs);
        },
      },
    });
    await exchange.loadMarkets();
    expect(rule).toEqual(windowRule(300, MINUTE));
    // A catch-up asking for trades as fast as it may, for 3 minutes of venue time: what the
    // budget refuses waits, what it lets through never exceeds the venue's limit.
    let sent = 0;
    let refused = 0;
    const since = clock.now() - 86_400_000;
    for (let i = 0; i < 360; i++) {
      clock.offset += 500;
      (exchange.options as Record<string, unknown>).timeDifference = -clock.offset;
      try {
        await exchange.fetchMyTrades('BTC/USDT', since, 1000, { until: since + 86_399_999 });
        sent++;
      } catch (e) {
        expect(e).toMatchObject({ code: 'VENUE_RATE_LIMITED' });
        refused++;
      }
    }
    expect(alerts).toEqual([]);
    expect(gate!.bans).toBe(0);
    expect(refused).toBeGreaterThan(0);
    // myTrades weighs 20: at most 240 weight a minute is 12 calls, and the budget lets ~10 through.
    expect(sent).toBeGreaterThanOrEqual(3 * 8);
    expect(sent).toBeLessThanOrEqual(3 * 12 + 2);
    await exchange.close();
  }, 30_000);
});
