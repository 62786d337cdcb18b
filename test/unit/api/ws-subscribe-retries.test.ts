import { SubscribeRetries } from '../../../src/api/ws-subscribe-retries.js';
import { until } from '../../support/until.js';

const HOUR = 3_600_000;

/** A `SubscribeRetries` whose attempts are recorded (`fired`) and counted (`waiting`). */
function retries(policy = { initialMs: HOUR, maxMs: HOUR, attempts: 3 }) {
  const fired: string[] = [];
  let waiting = 0;
  const r = new SubscribeRetries<string>(
    policy,
    (kind) => fired.push(kind),
    (d) => (waiting += d),
  );
  return { r, fired, waiting: () => waiting };
}

describe('SubscribeRetries: one waiting retry per channel, until it goes through, is dropped, or gives up', () => {
  it('retries with backoff, and gives up after its attempts', async () => {
    const { r, fired, waiting } = retries({ initialMs: 1, maxMs: 2, attempts: 2 });
    expect(r.failed('orders', { after: { a: 1 } })).toBe('retrying');
    expect([r.size, waiting(), r.request('orders')]).toEqual([1, 1, undefined]);
    await until(() => fired.length === 1, 5_000, 'the first attempt');
    // Under way: what it subscribes.
    expect(r.request('orders')).toEqual({ after: { a: 1 } });
    expect(r.failed('orders', { after: { a: 1 } })).toBe('retrying');
    await until(() => fired.length === 2, 5_000, 'the second attempt');
    expect(r.failed('orders', { after: { a: 1 } })).toBe('gave-up');
    expect([r.size, waiting(), r.has('orders')]).toEqual([0, 0, false]);
  });

  it('an attempt that went through is forgotten; one that waits is not', () => {
    const { r, fired, waiting } = retries();
    r.failed('bars', { instruments: ['A'] });
    r.answered('bars'); // a client's own subscribe went through meanwhile: the retry still waits
    expect(r.has('bars')).toBe(true);
    r.now();
    expect(fired).toEqual(['bars']);
    r.answered('bars');
    expect([r.size, waiting()]).toEqual([0, 0]);
  });

  it('a failure while one waits joins it (instruments and after merged, the later after winning), keeping its timer', () => {
    const { r, fired } = retries();
    r.failed('bars', { instruments: ['A'], after: { A: 1 } });
    expect(r.failed('bars', { instruments: ['B', 'A'], after: { A: 5, B: 2 } })).toBe('retrying');
    expect(r.size).toBe(1);
    r.now();
    expect(fired).toEqual(['bars']);
    expect(r.request('bars')).toEqual({ after: { A: 5, B: 2 }, instruments: ['A', 'B'] });
  });

  it('an unsubscribe narrows it, and drops it when nothing is left', () => {
    const { r, fired, waiting } = retries();
    r.failed('trades', { instruments: ['A', 'B'], after: { B: 2 } });
    r.narrow('trades', ['A', 'X']);
    r.narrow('orders', ['A']); // none waits there: nothing
    r.now();
    expect(r.request('trades')).toEqual({ instruments: ['B'], after: { B: 2 } });
    r.failed('trades', { instruments: ['B'], after: { B: 2 } });
    r.narrow('trades', ['B']);
    expect([r.size, waiting(), fired]).toEqual([0, 0, ['trades']]);
  });

  it("risk accounts to snapshot again join and narrow like the others' after", () => {
    const { r, fired, waiting } = retries();
    r.failed('risk', { snapshot: ['a'] });
    r.failed('risk', { snapshot: ['b', 'a'], after: { c: 3 } });
    r.now();
    expect(r.request('risk')).toEqual({ after: { c: 3 }, snapshot: ['a', 'b'] });
    r.failed('risk', { snapshot: ['a', 'b'], after: { c: 3 } });
    r.narrow('risk', ['a', 'c']);
    r.now();
    expect(r.request('risk')).toEqual({ snapshot: ['b'] });
    expect(fired).toEqual(['risk', 'risk']);
    r.cancel('risk');
    expect([r.size, waiting()]).toEqual([0, 0]);
  });

  it('cancel and close clear every timer; nothing waits after a close', () => {
    const { r, fired, waiting } = retries();
    r.failed('orders', {});
    r.failed('risk', {});
    r.failed('bars', { instruments: ['A'] });
    r.cancel('risk');
    expect([r.size, waiting()]).toEqual([2, 2]);
    r.close();
    expect([r.size, waiting()]).toEqual([0, 0]);
    expect(r.failed('orders', {})).toBe('closed');
    r.now();
    expect([r.size, waiting(), fired]).toEqual([0, 0, []]);
  });

  it("gives up once the next wait and the last attempt's time would end past totalMs", async () => {
    let now = 0;
    const fired: string[] = [];
    const r = new SubscribeRetries<string>(
      { initialMs: 1, maxMs: 1, attempts: 100, totalMs: 10_000 },
      (kind) => fired.push(kind),
      () => undefined,
      () => now,
    );
    expect(r.failed('positions', { after: { a: 1 } })).toBe('retrying');
    await until(() => fired.length === 1, 5_000, 'the first attempt');
    // Each attempt takes 4 s (an owner that does not answer): at 4 s, one more fits (4+1+4 < 10)…
    now += 4_000;
    expect(r.failed('positions', { after: { a: 1 } })).toBe('retrying');
    await until(() => fired.length === 2, 5_000, 'the second attempt');
    // …at 8 s, another would end at about 12 s: given up, not 100 attempts later.
    now += 4_000;
    expect(r.failed('positions', { after: { a: 1 } })).toBe('gave-up');
    expect(r.has('positions')).toBe(false);
  });
});
