import { GroupedLookup } from '../../../../src/trading/live/grouped-lookup.js';

/** A fetch whose calls are answered by the test, one at a time. */
function controlledFetch() {
  const calls: { keys: readonly string[]; answer(values: string[] | Error): void }[] = [];
  const fetch = (keys: readonly string[]) =>
    new Promise<string[]>((resolve, reject) =>
      calls.push({ keys, answer: (v) => (v instanceof Error ? reject(v) : resolve(v)) }),
    );
  return { calls, fetch };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('GroupedLookup', () => {
  it('runs the first look-up at once and groups those asked meanwhile into one query', async () => {
    const { calls, fetch } = controlledFetch();
    const lookup = new GroupedLookup(fetch, (v: string) => v.split('=')[0]!);
    const a = lookup.get('a');
    const b = lookup.get('b');
    const c = lookup.get('c');
    const b2 = lookup.get('b');
    expect(calls.map((c) => c.keys)).toEqual([['a']]);
    calls[0]!.answer(['a=1']);
    await settle();
    expect(calls.map((c) => c.keys)).toEqual([['a'], ['b', 'c']]);
    calls[1]!.answer(['b=2']);
    expect(await Promise.all([a, b, c, b2])).toEqual(['a=1', 'b=2', undefined, 'b=2']);
    // Idle again: the next look-up runs at once.
    const d = lookup.get('d');
    expect(calls).toHaveLength(3);
    calls[2]!.answer([]);
    expect(await d).toBeUndefined();
  });

  it('fails every look-up of a failed query, and only those', async () => {
    const { calls, fetch } = controlledFetch();
    const lookup = new GroupedLookup(fetch, (v: string) => v);
    const a = lookup.get('a');
    const b = lookup.get('b');
    calls[0]!.answer(new Error('store down'));
    await expect(a).rejects.toThrow('store down');
    await settle();
    calls[1]!.answer(['b']);
    expect(await b).toBe('b');
  });
});
