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
  it('groups the look-ups of one turn into one query, and those asked meanwhile into the next', async () => {
    const { calls, fetch } = controlledFetch();
    const lookup = new GroupedLookup(fetch, (v: string) => v.split('=')[0]!);
    const a = lookup.get('a');
    const a2 = lookup.get('a');
    const e = lookup.get('e');
    expect(calls).toHaveLength(0); // at the end of this turn
    await settle();
    expect(calls.map((c) => c.keys)).toEqual([['a', 'e']]);
    const b = lookup.get('b');
    const c = lookup.get('c');
    const b2 = lookup.get('b');
    await settle();
    expect(calls).toHaveLength(1); // one query at a time
    calls[0]!.answer(['a=1']);
    await settle(); // the answer, then the next query at the end of that turn
    await settle();
    expect(calls.map((c) => c.keys)).toEqual([
      ['a', 'e'],
      ['b', 'c'],
    ]);
    calls[1]!.answer(['b=2']);
    expect(await Promise.all([a, a2, e, b, c, b2])).toEqual([
      'a=1',
      'a=1',
      undefined,
      'b=2',
      undefined,
      'b=2',
    ]);
    // Idle again: the next look-up runs at the end of its turn.
    const d = lookup.get('d');
    await settle();
    expect(calls).toHaveLength(3);
    calls[2]!.answer([]);
    expect(await d).toBeUndefined();
  });

  it('fails every look-up of a failed query, and only those', async () => {
    const { calls, fetch } = controlledFetch();
    const lookup = new GroupedLookup(fetch, (v: string) => v);
    const a = lookup.get('a');
    await settle();
    const b = lookup.get('b');
    calls[0]!.answer(new Error('store down'));
    await expect(a).rejects.toThrow('store down');
    await settle();
    calls[1]!.answer(['b']);
    expect(await b).toBe('b');
  });
});

describe('GroupedLookup when idle', () => {
  it('asks nothing more once every look-up is answered', async () => {
    const { calls, fetch } = controlledFetch();
    const lookup = new GroupedLookup(fetch, (v: string) => v);
    const a = lookup.get('a');
    await settle();
    calls[0]!.answer(['a']);
    expect(await a).toBe('a');
    for (let i = 0; i < 5; i++) await settle();
    expect(calls.map((c) => c.keys)).toEqual([['a']]);
  });
});
