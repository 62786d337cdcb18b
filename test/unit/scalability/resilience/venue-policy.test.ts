import { jest } from '@jest/globals';
import { createVenuePolicy } from '../../../../src/scalability/resilience/venue-policy.js';
import type { BreakerState } from '../../../../src/scalability/resilience/venue-policy.js';

// Stand-ins with ccxt's class names and hierarchy (the policy classifies by those names).
class NetworkError extends Error {
  override name = 'NetworkError';
}
class RequestTimeout extends NetworkError {
  override name = 'RequestTimeout';
}
class RateLimitExceeded extends NetworkError {
  override name = 'RateLimitExceeded';
}
class InvalidOrder extends Error {
  override name = 'InvalidOrder';
}

/** A venue call that fails with the given errors in turn, then answers `'ok'`. */
function venue(...failures: Error[]) {
  const call = jest.fn(async (_signal: AbortSignal) => {
    const failure = failures.shift();
    if (failure) throw failure;
    return 'ok';
  });
  return call;
}

const fast = { venue: 'binance', backoff: { initialMs: 1, maxMs: 1 } };

describe('venue policy: retries', () => {
  it('never retries an order write, even on a timeout', async () => {
    const policy = createVenuePolicy(fast);
    const timeout = new RequestTimeout('binance POST /api/v3/order timed out');
    const call = venue(timeout);
    await expect(policy.write(call)).rejects.toBe(timeout);
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('retries a read on transient errors until it answers', async () => {
    const policy = createVenuePolicy({ ...fast, readAttempts: 3 });
    const call = venue(new RequestTimeout('t1'), new NetworkError('reset'));
    await expect(policy.read(call)).resolves.toBe('ok');
    expect(call).toHaveBeenCalledTimes(3);
  });

  it('gives up a read after readAttempts with the last error', async () => {
    const policy = createVenuePolicy({ ...fast, readAttempts: 2 });
    const last = new RequestTimeout('t2');
    const call = venue(new RequestTimeout('t1'), last, new RequestTimeout('t3'));
    await expect(policy.read(call)).rejects.toBe(last);
    expect(call).toHaveBeenCalledTimes(2);
  });

  it('retries a read on socket errors and not on rate limits or refusals', async () => {
    const policy = createVenuePolicy(fast);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const retried = venue(reset);
    await expect(policy.read(retried)).resolves.toBe('ok');
    expect(retried).toHaveBeenCalledTimes(2);
    for (const error of [new RateLimitExceeded('429'), new InvalidOrder('bad symbol')]) {
      const call = venue(error);
      await expect(policy.read(call)).rejects.toBe(error);
      expect(call).toHaveBeenCalledTimes(1);
    }
  });
});

describe('venue policy: circuit breaker', () => {
  beforeEach(() => {
    // Only Date is faked: cockatiel reads Date.now() to decide when to half-open.
    jest.useFakeTimers({
      now: Date.parse('2026-01-01T00:00:00Z'),
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  function breakerPolicy() {
    const policy = createVenuePolicy({ ...fast, breakAfter: 3, halfOpenAfterMs: 30_000 });
    const states: BreakerState[] = [];
    policy.onStateChange((s) => states.push(s));
    return { policy, states };
  }

  async function openIt(policy: ReturnType<typeof createVenuePolicy>) {
    for (let i = 0; i < 3; i++) {
      await expect(policy.write(venue(new RequestTimeout(`t${i}`)))).rejects.toThrow(`t${i}`);
    }
  }

  it('opens after N consecutive transient failures and then sends nothing', async () => {
    const { policy, states } = breakerPolicy();
    await openIt(policy);
    expect(policy.state).toBe('open');
    expect(states).toEqual(['open']);
    const call = venue();
    const refused = policy.write(call);
    await expect(refused).rejects.toMatchObject({
      code: 'VENUE_CIRCUIT_OPEN',
      message: 'binance: circuit open after repeated failures; nothing was sent',
    });
    await expect(policy.read(call)).rejects.toMatchObject({ code: 'VENUE_CIRCUIT_OPEN' });
    expect(call).not.toHaveBeenCalled();
  });

  it('counts neither refusals nor rate limits, and a success resets the count', async () => {
    const { policy } = breakerPolicy();
    for (let i = 0; i < 5; i++) {
      await expect(policy.write(venue(new InvalidOrder('no')))).rejects.toThrow('no');
      await expect(policy.write(venue(new RateLimitExceeded('429')))).rejects.toThrow('429');
    }
    await expect(policy.write(venue(new RequestTimeout('a')))).rejects.toThrow('a');
    await expect(policy.write(venue(new RequestTimeout('b')))).rejects.toThrow('b');
    await expect(policy.write(venue())).resolves.toBe('ok');
    await expect(policy.write(venue(new RequestTimeout('c')))).rejects.toThrow('c');
    expect(policy.state).toBe('closed');
  });

  it('half-opens after halfOpenAfterMs: a good trial call closes it', async () => {
    const { policy, states } = breakerPolicy();
    await openIt(policy);
    jest.setSystemTime(Date.now() + 29_999);
    await expect(policy.read(venue())).rejects.toMatchObject({ code: 'VENUE_CIRCUIT_OPEN' });
    jest.setSystemTime(Date.now() + 1);
    await expect(policy.read(venue())).resolves.toBe('ok');
    expect(policy.state).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('re-opens when the trial call fails', async () => {
    const { policy, states } = breakerPolicy();
    await openIt(policy);
    jest.setSystemTime(Date.now() + 30_000);
    await expect(policy.write(venue(new RequestTimeout('still down')))).rejects.toThrow(
      'still down',
    );
    expect(policy.state).toBe('open');
    expect(states).toEqual(['open', 'half-open', 'open']);
    await expect(policy.write(venue())).rejects.toMatchObject({ code: 'VENUE_CIRCUIT_OPEN' });
  });

  it('can be held open by hand', async () => {
    const { policy } = breakerPolicy();
    const hold = policy.isolate();
    const call = venue();
    await expect(policy.read(call)).rejects.toMatchObject({ code: 'VENUE_CIRCUIT_OPEN' });
    expect(policy.state).toBe('isolated');
    hold.dispose();
    await expect(policy.read(call)).resolves.toBe('ok');
  });
});
