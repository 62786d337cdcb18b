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

  /** The gate on `f` for `venue` with room in its budget, and the alerts it raises. */
  const gated = (f: ReturnType<typeof fakeExchange>, venue: string, perEndpoint = false) => {
    const budget = new MemoryBudget({ rule: { capacity: 1000, intervalMs: 60_000 }, now });
    const alerts: Alert[] = [];
    const onAlert = (a: Alert) => alerts.push(a);
    const ex = f.ex as unknown as Exchange;
    return {
      budget,
      alerts,
      gate: installRequestGate(ex, { budget, venue, now, onAlert, perEndpoint }),
    };
  };

  it('a 429 that does not say how long pauses the venue 1 s, doubled while the limit is met again, up to 60 s; an answer starts it again at 1 s', async () => {
    let status = 429;
    const f = fakeExchange(() => ({ status, body: '{"code":"50011","msg":"Too Many Requests"}' }));
    const { budget, alerts, gate } = gated(f, 'kraken');
    const pauses: number[] = [];
    for (let i = 0; i < 9; i++) {
      await f.call('limited');
      const pause = gate.bannedUntil()!.untilMs - t;
      pauses.push(pause);
      // Recorded on the venue's scope of the shared budget, as a ban that says is.
      expect((await budget.blockedUntil('kraken'))?.untilMs).toBe(t + pause);
      // Nothing is sent during the pause, and the whole venue waits (no endpoints of its own).
      await expect(f.call('other')).rejects.toMatchObject({ retryAfterMs: pause });
      t += pause;
    }
    expect(pauses).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(alerts).toHaveLength(9);
    expect(alerts[0]).toMatchObject({ code: 'VENUE_RATE_LIMITED' });
    expect(alerts[0]!.message).toMatch(/HTTP 429 rate limited until .*1000 ms backoff/);
    status = 200;
    await f.call('answered');
    status = 429;
    await f.call('limited again');
    expect(gate.bannedUntil()!.untilMs - t).toBe(1000);
    expect(f.sent.filter((p) => p === 'other')).toEqual([]);
  });

  it('per endpoint (OKX), an untimed 429 pauses only its endpoint; the rest of the same burst does not lengthen it', async () => {
    const limited = new Set(['trade/order']);
    const f = fakeExchange(() => ({ status: 200 }));
    // The limited endpoint answers 429 (the rest 200), once `release` lets the answers go.
    let release = () => {};
    let released = Promise.resolve();
    const answer = f.ex.fetch2.bind(f.ex);
    f.ex.fetch2 = async function (path: string, ...rest: unknown[]) {
      if (!limited.has(path)) return answer(path, ...rest);
      f.sent.push(path);
      await released;
      this.onRestResponse(429, '', path, 'GET', {}, '{"code":"50011"}');
      return 429;
    };
    const { budget, alerts, gate } = gated(f, 'okx', true);
    // A burst of three to the limited endpoint, sent together: one pause of 1 s, not 1 + 2 + 4.
    released = new Promise((r) => (release = r));
    const burst = [f.call('trade/order'), f.call('trade/order'), f.call('trade/order')];
    while (f.sent.length < 3) await new Promise(setImmediate);
    release();
    await Promise.all(burst);
    released = Promise.resolve();
    await expect(f.call('trade/order')).rejects.toMatchObject({
      code: 'VENUE_RATE_LIMITED',
      retryAfterMs: 1000,
    });
    // Other endpoints go on; the venue is not banned, nor the shared budget.
    await f.call('trade/batch-orders');
    expect(gate.bannedUntil()).toBeUndefined();
    expect(await budget.blockedUntil('okx')).toBeUndefined();
    expect(alerts.map((a) => a.message)).toEqual([
      expect.stringMatching(
        /^okx: HTTP 429 rate limited on GET trade\/order until .*; no requests to GET trade\/order until then$/,
      ),
    ]);
    t += 1000;
    await f.call('trade/order'); // limited again after the pause: 2 s
    await expect(f.call('trade/order')).rejects.toMatchObject({ retryAfterMs: 2000 });
    t += 2000;
    limited.clear();
    await f.call('trade/order');
    limited.add('trade/order');
    await f.call('trade/order'); // answered in between: 1 s again
    await expect(f.call('trade/order')).rejects.toMatchObject({ retryAfterMs: 1000 });
    expect(f.sent.filter((p) => p === 'trade/batch-orders')).toHaveLength(1);
  });

  it("a venue's rate-limit error that is not a 429 (ccxt RateLimitExceeded) pauses the same way", async () => {
    // ccxt's class names, as `isCcxt` reads them (loading ccxt itself takes seconds).
    class BaseError extends Error {}
    class RateLimitExceeded extends BaseError {}
    const f = fakeExchange(() => ({ status: 200 }));
    let limited = true;
    const answer = f.ex.fetch2.bind(f.ex);
    f.ex.fetch2 = async function (path: string, ...rest: unknown[]) {
      const r = await answer(path, ...rest);
      if (limited) throw new RateLimitExceeded('kraken {"error":["EAPI:Rate limit exceeded"]}');
      return r;
    };
    const { gate } = gated(f, 'kraken');
    await expect(f.call('a')).rejects.toMatchObject({ retryAfterMs: 1000 });
    expect(gate.bannedUntil()?.reason).toMatch(/rate-limit error rate limited until/);
    await expect(f.call('b')).rejects.toMatchObject({ code: 'VENUE_RATE_LIMITED' });
    t += 1000;
    await expect(f.call('c')).rejects.toMatchObject({ retryAfterMs: 2000 });
    t += 2000;
    limited = false;
    await f.call('d');
    limited = true;
    await expect(f.call('e')).rejects.toMatchObject({ retryAfterMs: 1000 });
    expect(f.sent).toEqual(['a', 'c', 'd', 'e']);
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
