import fc from 'fast-check';
import { firstHostile, MAX_INPUT_DEPTH, textRule } from '../../../src/api/hostile-input.js';

/** The first hostile place, walked recursively in the order `firstHostile` has always named it. */
function reference(v: unknown, at: string, depth = 0): { field: string; rule: string } | null {
  if (typeof v === 'string') {
    const rule = textRule(v);
    return rule ? { field: at, rule } : null;
  }
  if (v === null || typeof v !== 'object') return null;
  if (depth >= MAX_INPUT_DEPTH) {
    return { field: at, rule: `must not nest deeper than ${MAX_INPUT_DEPTH} levels` };
  }
  if (Array.isArray(v)) {
    for (const [i, item] of v.entries()) {
      const found = reference(item, `${at}[${i}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  // An object's keys first, then its values, the last key's first (as the walk's stack pops).
  const entries = Object.entries(v as Record<string, unknown>);
  for (const [k] of entries) {
    const keyRule = textRule(k);
    if (keyRule) return { field: `${at} (a key)`, rule: keyRule };
  }
  for (const [k, item] of entries.reverse()) {
    const found = reference(item, `${at}.${k}`, depth + 1);
    if (found) return found;
  }
  return null;
}

// Strings mostly clean, now and then with a NUL, a lone surrogate or a whole pair.
const text = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('a\u0000b', '\uD800', 'x\uDFFFy', '\uD83D\uDE00') },
);
const nested = (depth: number) =>
  fc.integer({ min: 0, max: depth }).map((n) => {
    let v: unknown = 'leaf';
    for (let i = 0; i < n; i++) v = i % 2 ? [v] : { k: v };
    return v;
  });
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.constant(null),
    nested(MAX_INPUT_DEPTH + 2),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
}));

describe('firstHostile', () => {
  it('finds the same first place and rule as the rule read recursively (property)', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(firstHostile(v, 'body')).toEqual(reference(v, 'body'));
      }),
      { numRuns: 2_000 },
    );
  });

  it('names a hostile key, a value deep in an array and nesting one level too deep', () => {
    expect(firstHostile({ a: [1, { 'k\u0000': 2 }] }, 'body')).toEqual({
      field: 'body.a[1] (a key)',
      rule: 'must not contain NUL (U+0000)',
    });
    expect(firstHostile({ a: ['ok', 'x\uDC00'] }, 'query')).toEqual({
      field: 'query.a[1]',
      rule: 'must be well-formed Unicode (a lone surrogate is not)',
    });
    let deep: unknown = 'leaf';
    for (let i = 0; i < MAX_INPUT_DEPTH; i++) deep = [deep];
    expect(firstHostile(deep, 'body')).toBeNull();
    expect(firstHostile([deep], 'body')?.rule).toBe(
      `must not nest deeper than ${MAX_INPUT_DEPTH} levels`,
    );
  });
});
