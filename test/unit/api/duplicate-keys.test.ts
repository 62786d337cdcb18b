import fc from 'fast-check';
import { DUPLICATE_KEY_RULE, firstDuplicateKey } from '../../../src/api/duplicate-keys.js';

/** A JSON value as its text is written: an object is its entries in order, repeats allowed. */
type Tree =
  | { kind: 'scalar'; value: string | number | boolean | null }
  | { kind: 'array'; items: Tree[] }
  | { kind: 'object'; entries: [string, Tree][] };

/** The first repeated key in document order, found recursively on the tree the text was made from. */
function reference(t: Tree, at: string): string | null {
  if (t.kind === 'array') {
    for (const [i, item] of t.items.entries()) {
      const found = reference(item, `${at}[${i}]`);
      if (found) return found;
    }
  }
  if (t.kind === 'object') {
    const seen = new Set<string>();
    for (const [k, v] of t.entries) {
      if (seen.has(k)) return `${at}.${k}`;
      seen.add(k);
      const found = reference(v, `${at}.${k}`);
      if (found) return found;
    }
  }
  return null;
}

const SHORT: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** A string as JSON, each code unit written as itself, a short escape or `\uXXXX`, as `how` picks. */
function encode(s: string, how: number[]): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const u = `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    const pick = how[i % how.length]! % 3;
    const plainOk = c !== '"' && c !== '\\' && c >= ' ';
    out += pick === 0 && plainOk ? c : pick === 1 && SHORT[c] ? SHORT[c] : u;
  }
  return `${out}"`;
}

/** The text of a tree, with `how` choosing escapes and `ws` the blanks between tokens. */
function write(t: Tree, how: number[], ws: string): string {
  if (t.kind === 'scalar')
    return typeof t.value === 'string' ? encode(t.value, how) : JSON.stringify(t.value);
  if (t.kind === 'array')
    return `[${ws}${t.items.map((i) => write(i, how, ws)).join(`${ws},${ws}`)}${ws}]`;
  const entries = t.entries.map(([k, v]) => `${encode(k, how)}${ws}:${ws}${write(v, how, ws)}`);
  return `{${ws}${entries.join(`${ws},${ws}`)}${ws}}`;
}

// Few distinct keys (so repeats are common), some with quotes, backslashes, braces, controls
// and non-ASCII; string values that look like keys, objects and commas.
const key = fc.oneof(
  fc.constantFrom(
    'a',
    'b',
    'side',
    'a"b',
    'a\\',
    '{',
    '}',
    ',',
    ':',
    '\n',
    'é',
    '\u2028',
    '😀',
    '',
  ),
  fc.string({ maxLength: 3 }),
);
const scalar: fc.Arbitrary<Tree> = fc
  .oneof(
    fc.constantFrom<string | number | boolean | null>(
      '"a":1',
      '{"a":',
      '\\',
      '],[',
      null,
      true,
      1.5e-3,
    ),
    fc.string({ maxLength: 4 }),
    fc.integer(),
  )
  .map((value) => ({ kind: 'scalar', value }));
const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('tree'), { maxLength: 4 }).map((items): Tree => ({ kind: 'array', items })),
    fc
      .array(fc.tuple(key, tie('tree')), { maxLength: 5 })
      .map((entries): Tree => ({ kind: 'object', entries })),
  ),
}));

describe('firstDuplicateKey', () => {
  it('finds the first repeated key (compared decoded) where the recursive reference does (property)', () => {
    fc.assert(
      fc.property(
        tree,
        fc.array(fc.nat(), { minLength: 1, maxLength: 7 }),
        fc.constantFrom('', ' ', '\n\t '),
        (t, how, ws) => {
          const text = write(t, how, ws);
          JSON.parse(text); // the scanner's precondition
          const expected = reference(t, 'body');
          expect(firstDuplicateKey(text, 'body')).toEqual(
            expected === null ? null : { field: expected, rule: DUPLICATE_KEY_RULE },
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('names the path of the repeated key; escaped and plain spellings are one key', () => {
    const cases: [string, string | null][] = [
      ['{"side":"BUY","qty":"1","side":"SELL"}', 'body.side'],
      ['{"side":"BUY","\\u0073ide":"SELL"}', 'body.side'],
      ['{"a":"\\"a\\":1","b":{"a":1}}', null],
      ['{"legs":[{"x":1},{"x":1,"y":[],"x":2}]}', 'body.legs[1].x'],
      ['[{},"a",{"a":1,"a":2}]', 'body[2].a'],
      ['{"":1,"":2}', 'body.'],
      ['"a"', null],
    ];
    for (const [text, field] of cases) {
      expect([text, firstDuplicateKey(text, 'body')?.field ?? null]).toEqual([text, field]);
    }
  });

  it('nesting as deep as a body can hold: no stack exhausted', () => {
    const depth = 30_000;
    const text = `${'{"a":['.repeat(depth)}{"k":1,"k":2}${']}'.repeat(depth)}`;
    expect(firstDuplicateKey(text, 'body')?.field).toMatch(/\.a\[0\]\.k$/);
  });
});
