import { createLogger } from '../../../src/monitoring/logger.js';
import { StrategyOwners } from '../../../src/api/strategy-owners.js';

/** A look-up whose answers the test gives, counting the calls. */
function controlledLookUp() {
  const asked: string[] = [];
  const pending: { resolve: (v: string | null) => void; reject: (e: Error) => void }[] = [];
  const lookUp = (id: string) =>
    new Promise<string | null>((resolve, reject) => {
      asked.push(id);
      pending.push({ resolve, reject });
    });
  return {
    asked,
    lookUp,
    answer: (v: string | null) => pending.shift()!.resolve(v),
    fail: (e: Error) => pending.shift()!.reject(e),
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('StrategyOwners', () => {
  it("answers a user's own orders and remembered instances at once, with no look-up", () => {
    const l = controlledLookUp();
    const owners = new StrategyOwners(l.lookUp);
    owners.remember('sma-cross-1', '7');
    const got: (string | null)[] = [];
    owners.withOwner('user:42', (u) => got.push(u));
    owners.withOwner('sma-cross-1', (u) => got.push(u));
    expect(got).toEqual(['42', '7']);
    expect(l.asked).toEqual([]);
  });

  it('looks an unknown instance up once, keeps the order of the events that wait, then answers at once', async () => {
    const l = controlledLookUp();
    const owners = new StrategyOwners(l.lookUp);
    const got: string[] = [];
    owners.withOwner('resumed-1', (u) => got.push(`a:${u}`));
    owners.withOwner('resumed-1', (u) => got.push(`b:${u}`));
    // Remembered meanwhile: later events still wait behind the earlier ones.
    owners.remember('resumed-1', '9');
    owners.withOwner('resumed-1', (u) => got.push(`c:${u}`));
    expect(got).toEqual([]);
    l.answer('9');
    await settle();
    expect(got).toEqual(['a:9', 'b:9', 'c:9']);
    owners.withOwner('resumed-1', (u) => got.push(`d:${u}`));
    expect(got).toEqual(['a:9', 'b:9', 'c:9', 'd:9']);
    expect(l.asked).toEqual(['resumed-1']);
  });

  it('keeps "no owner" too, and after a failed look-up tells no one, logs it and asks again next time', async () => {
    const l = controlledLookUp();
    const lines: string[] = [];
    const owners = new StrategyOwners(
      l.lookUp,
      createLogger({ write: (line) => lines.push(line) }),
    );
    const got: (string | null)[] = [];
    owners.withOwner('nobody-1', (u) => got.push(u));
    l.answer(null);
    await settle();
    owners.withOwner('nobody-1', (u) => got.push(u));
    expect(got).toEqual([null, null]);

    owners.withOwner('flaky-1', (u) => got.push(u));
    l.fail(new Error('store down'));
    await settle();
    expect(got).toEqual([null, null, null]);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      {
        message: 'owner of strategy: look-up failed',
        strategyId: 'flaky-1',
        err: { message: 'store down' },
      },
    ]);
    owners.withOwner('flaky-1', (u) => got.push(u));
    l.answer('3');
    await settle();
    expect(got).toEqual([null, null, null, '3']);
    expect(l.asked).toEqual(['nobody-1', 'flaky-1', 'flaky-1']);
  });
});
