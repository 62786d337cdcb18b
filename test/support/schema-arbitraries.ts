import fc from 'fast-check';
import { binaryString } from './binary-string.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON Schema from /docs/json, walked by key
type Schema = any;

/** Strings of every kind: any code point (lone surrogates too), graphemes, and the longest allowed. */
function anyString(minLength: number, maxLength: number): fc.Arbitrary<string> {
  const max = Math.min(maxLength, 200);
  return fc.oneof(
    fc.string({ minLength, maxLength: max, unit: 'grapheme' }),
    binaryString({ minLength, maxLength: max }),
    fc.constant('x'.repeat(maxLength === Infinity ? 5_000 : maxLength)),
  );
}

/**
 * Values a JSON Schema of `/docs/json` takes (the subset the document uses: types, patterns,
 * enums, bounds, `anyOf`, required and additional properties), as a fuzzer generated from the
 * document makes them: any string a pattern or a length allows, numbers at and between bounds.
 */
export function validFor(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (s === undefined || s === null || typeof s !== 'object') return fc.jsonValue({ maxDepth: 1 });
  // One arbitrary per schema (an arbitrary holds no state: the same values for the same seed).
  // Each `fc.stringMatching` made anew tests fast-check's "dangerous strings" against its
  // characters, and a fuzz asks for each operation's schemas again and again.
  const byDepth = made.get(s) ?? new Map<number, fc.Arbitrary<unknown>>();
  made.set(s, byDepth);
  let arb = byDepth.get(depth);
  if (arb === undefined) byDepth.set(depth, (arb = make(s, depth)));
  return arb;
}
const made = new WeakMap<object, Map<number, fc.Arbitrary<unknown>>>();

function make(s: Schema, depth: number): fc.Arbitrary<unknown> {
  if (s.anyOf) return fc.oneof(...(s.anyOf as Schema[]).map((x) => validFor(x, depth)));
  if (s.enum) return fc.constantFrom(...(s.enum as unknown[]));
  switch (s.type) {
    case 'string':
      return s.pattern
        ? fc.stringMatching(new RegExp(s.pattern as string))
        : anyString(s.minLength ?? 0, s.maxLength ?? Infinity);
    case 'integer': {
      const min = s.minimum ?? Number.MIN_SAFE_INTEGER;
      const max = s.maximum ?? Number.MAX_SAFE_INTEGER;
      return fc.oneof(
        fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) }),
        fc.constantFrom(min, max),
      );
    }
    case 'number':
      return fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.constantFrom(0, -0, 1e308, 5e-324, 2 ** 53 + 2),
      );
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validFor(s.items, depth + 1), { maxLength: Math.min(s.maxItems ?? 4, 4) });
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const known = fc.record(
        Object.fromEntries(Object.entries(props).map(([k, v]) => [k, validFor(v, depth + 1)])),
        { requiredKeys: ((s.required ?? []) as string[]).filter((k) => k in props) },
      );
      const extra = s.additionalProperties;
      if (typeof extra !== 'object' || extra === null || depth > 2) return known;
      return fc
        .tuple(
          known,
          fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), validFor(extra, depth + 1), {
            maxKeys: 4,
          }),
        )
        .map(([k, more]) => ({ ...more, ...k }));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** JSON values of every type, the numbers JSON.parse bends, and shapes that break most schemas. */
const hostileJson: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  -0,
  2 ** 53 + 2,
  '',
  '\u0000',
  '\ud800',
  '\u0001\u001f\u007f',
  '__proto__',
  'x'.repeat(60_000),
  [],
  ['a', 'b'],
  {},
  { __proto__: null, constructor: { prototype: { admin: true } } },
);

/** Whether `v` is a value `s` takes (the same subset). */
export function takes(s: Schema, v: unknown): boolean {
  if (s === undefined || s === null) return true;
  if (s.anyOf) return (s.anyOf as Schema[]).some((x) => takes(x, v));
  if (s.enum) return (s.enum as unknown[]).includes(v);
  switch (s.type) {
    case 'string':
      return (
        typeof v === 'string' &&
        (s.pattern === undefined || new RegExp(s.pattern as string).test(v)) &&
        [...v].length >= (s.minLength ?? 0) &&
        [...v].length <= (s.maxLength ?? Infinity)
      );
    case 'integer':
      return (
        typeof v === 'number' &&
        Number.isInteger(v) &&
        v >= (s.minimum ?? -Infinity) &&
        v <= (s.maximum ?? Infinity)
      );
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return true;
  }
}

/**
 * Values `s` refuses: another JSON type, the bound or pattern broken by one, and hostile
 * values of every type; filtered so none is one `s` takes.
 */
export function invalidFor(s: Schema): fc.Arbitrary<unknown> {
  const near: unknown[] = [];
  if (s?.type === 'string') {
    if (s.maxLength !== undefined) near.push('x'.repeat(s.maxLength + 1));
    if (s.pattern !== undefined) near.push(' ', 'a b', '1e3', '-1', '0x10', 'é');
  }
  if (s?.type === 'integer') {
    if (s.minimum !== undefined) near.push(s.minimum - 1);
    if (s.maximum !== undefined) near.push(s.maximum + 1);
    near.push(0.5, '1');
  }
  if (s?.anyOf || s?.enum) near.push('NOPE', 'buy');
  return fc
    .oneof(hostileJson, ...(near.length ? [fc.constantFrom(...near)] : []))
    .filter((v) => !takes(s, v));
}
