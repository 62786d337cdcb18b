import type { Exchange } from 'ccxt';
import { MemoryBudget } from '../../../../../src/scalability/rate-limit/memory-budget.js';
import type { Alert } from '../../../../../src/trading/model/alert.js';
import {
  advertisedLimits,
  installRequestGate,
} from '../../../../../src/trading/venues/ccxt/request-gate.js';

/** Just the ccxt methods the gate wraps; `answer` plays the venue. */
function fakeExchange(
  answer: () => { status: number; headers?: Record<string, string>; body?: string },
) {
  const sent: string[] = [];
  const ex = {
    calculateRateLimiterCost: (_a: unknown, _m: unknown, _p: unknown, params: { cost?: number }) =>
      params.cost ?? 1,
    onRestResponse: (_s: number, _t: string, _u: string, _m: string, _h: object, body: string) =>
      body,
    async fetch2(path: string, ..._rest: unknown[]) {
      sent.push(path);
      const r = answer();
      this.onRestResponse(r.status, '', path, 'GET', r.headers ?? {}, r.body ?? '');
      return r.status;
    },
  };
  return {
    ex,
    sent,
    call: (path: string, cost?: number) => ex.fetch2(path, 'public', 'GET', { cost }),
  };
}

describe('installRequestGate', () => {
  let t = 1_000_000;
  const now = () => t;
  const rule = { capacity: 10, intervalMs: 60_000 };

  it('takes each request weight from the budget and refuses when it is spent', async () => {
    const budget = new MemoryBudget({ rule, now });
    const f = fakeExchange(() => ({ status: 200 }));
    const gate = installRequestGate(f.ex as unknown as Exchange, {
      budget,
      venue: 'binance',
      now,
      maxWaitMs: 0,
    });
    await f.call('a', 4);
    await f.call('b', 6);
    await expect(f.call('c', 1)).rejects.toMatchObject({ code: 'VENUE_RATE_LIMITED' });
    expect(f.sent).toEqual(['a', 'b']);
    expect(gate.refused).toBe(1);
  });

  it('a 429 bans for Retry-After and a 418 until its end, with one alert each; nothing is sent meanwhile', async () => {
    const budget = new MemoryBudget({ rule: { capacity: 1000, intervalMs: 60_000 }, now });
    const answers = [
      { status: 429, headers: { 'Retry-After': '2' }, body: '{"code":-1003}' },
      {
        status: 418,
        headers: { 'Retry-After': '120' },
        body: `IP banned until ${t + 2_000 + 120_000}`,
      },
      { status: 200 },
    ];
    const f = fakeExchange(() => answers.shift()!);
    const alerts: Alert[] = [];
    const gate = installRequestGate(f.ex as unknown as Exchange, {
      budget,
      venue: 'binance',
      now,
      onAlert: (a) => alerts.push(a),
    });
    await f.call('first');
    expect(gate.bannedUntil()?.untilMs).toBe(t + 2000);
    await expect(f.call('during-429')).rejects.toMatchObject({ retryAfterMs: 2000 });
    t += 2000;
    await f.call('second'); // meets the 418
    await expect(f.call('during-418')).rejects.toMatchObject({ code: 'VENUE_RATE_LIMITED' });
    expect((await budget.blockedUntil('binance'))?.untilMs).toBe(t + 120_000);
    t += 119_999;
    await expect(f.call('still-banned')).rejects.toThrow(/418 IP banned until/);
    t += 1;
    await f.call('after');
    expect(f.sent).toEqual(['first', 'second', 'after']);
    expect(alerts.map((a) => a.code)).toEqual(['VENUE_RATE_LIMITED', 'VENUE_BANNED']);
  });

  it("counts the venue's weight of every call (ccxt cost × weightPerCost), capped at the capacity", async () => {
    const budget = new MemoryBudget({ rule, now });
    const f = fakeExchange(() => ({ status: 200 }));
    installRequestGate(f.ex as unknown as Exchange, {
      budget,
      venue: 'binance',
      now,
      maxWaitMs: 0,
      weightPerCost: 5,
      maxWeight: () => rule.capacity,
    });
    // Binance myTrades: ccxt cost 4 = weight 20, more than the whole bucket: it takes all of it.
    await f.call('myTrades', 4);
    await expect(f.call('time', 0.2)).rejects.toMatchObject({ code: 'VENUE_RATE_LIMITED' });
    expect(f.sent).toEqual(['myTrades']);
  });

  it('reads the limits the venue advertises in exchangeInfo', async () => {
    const body = JSON.stringify({
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 300 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
        { rateLimitType: 'RAW_REQUESTS', interval: 'FORTNIGHT', intervalNum: 1, limit: 5 },
        { rateLimitType: 'BAD', interval: 'MINUTE', intervalNum: 1, limit: -1 },
      ],
    });
    expect(advertisedLimits(body)).toEqual([
      { type: 'REQUEST_WEIGHT', intervalMs: 60_000, limit: 300 },
      { type: 'ORDERS', intervalMs: 10_000, limit: 100 },
    ]);
    expect(advertisedLimits('{"rateLimits": 3}')).toEqual([]);
    expect(advertisedLimits('not json "rateLimits"')).toEqual([]);
    const seen: unknown[] = [];
    const f = fakeExchange(() => ({ status: 200, body }));
    installRequestGate(f.ex as unknown as Exchange, {
      budget: new MemoryBudget({ rule, now }),
      venue: 'binance',
      now,
      onRateLimits: (l) => seen.push(l),
    });
    await f.call('exchangeInfo');
    expect(seen).toHaveLength(1);
  });
});
