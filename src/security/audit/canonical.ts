import { KairosError } from '../../trading/core/errors.js';

/** A JSON value: what an audit payload may hold. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * The deepest nesting of arrays and objects canonical JSON writes: a row's line (its object is
 * level 1, its payload level 2) stays within serde_json's default limit of 128, so a verifier in
 * another language parses every line; and a verifier here cannot be made to overflow its stack by
 * a crafted export.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Canonical JSON: no whitespace, object keys sorted by UTF-16 code unit, numbers and strings as
 * `JSON.stringify` writes them. For JSON values this is RFC 8785 (JCS), so another language's
 * JCS library reproduces the bytes. Keys whose value is `undefined` are left out, as JSON does;
 * anything JSON cannot carry (NaN, Infinity, bigint, functions, class instances), and arrays and
 * objects nested deeper than `MAX_JSON_DEPTH` counting the `depth` containers `value` will be
 * written inside, throw `AUDIT_ENTRY_INVALID` naming its path.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, 'x'] }); // '{"a":[true,"x"],"b":1}'
 */
export function canonicalJson(value: unknown, path = '$', depth = 0): string {
  // Written without tracking paths; a value JSON cannot carry (rare) is walked again for its path.
  const text = canonical(value, depth);
  if (text === undefined) throw firstInvalid(value, path, depth);
  return text;
}

/**
 * `canonicalJson`'s text, or undefined when `value` (inside `depth` arrays and objects) holds
 * anything JSON cannot carry or nests too deep.
 */
function canonical(value: unknown, depth: number): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    // Stryker disable next-line ConditionalExpression: equivalent, without this case a boolean falls to JSON.stringify, which writes it the same
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case 'object':
      break;
    default:
      return undefined;
  }
  if (depth >= MAX_JSON_DEPTH) return undefined;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      // A hole is written as nothing, as `map` and `join` always wrote it.
      const item = i in value ? canonical(value[i], depth + 1) : '';
      if (item === undefined) return undefined;
      out += i === 0 ? item : `,${item}`;
    }
    return `${out}]`;
  }
  if (!isPlain(value)) return undefined;
  const obj = value as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(obj).sort()) {
    if (obj[key] === undefined) continue;
    const item = canonical(obj[key], depth + 1);
    if (item === undefined) return undefined;
    out += `${out === '{' ? '' : ','}${JSON.stringify(key)}:${item}`;
  }
  return `${out}}`;
}

const isPlain = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/** Why `value` (at `path`) is not JSON: the first thing in it, in the order it is written. */
function firstInvalid(value: unknown, path: string, depth: number): KairosError {
  const at = (v: unknown, p: string, d: number): KairosError | null => {
    if (typeof v === 'number' && !Number.isFinite(v))
      return invalid(p, `${v} is not a JSON number`);
    if (v === null || ['boolean', 'string', 'number'].includes(typeof v)) return null;
    if (typeof v !== 'object') return invalid(p, `a ${typeof v} is not JSON`);
    if (d >= MAX_JSON_DEPTH) {
      return invalid(p, `nested deeper than ${MAX_JSON_DEPTH} arrays and objects`);
    }
    if (Array.isArray(v)) {
      // Stryker disable next-line EqualityOperator: equivalent, index v.length is never `in` v (a hole: skipped)
      for (let i = 0; i < v.length; i++) {
        const e = i in v ? at(v[i], `${p}[${i}]`, d + 1) : null;
        if (e) return e;
      }
      return null;
    }
    if (!isPlain(v))
      return invalid(p, 'only plain objects are JSON (convert dates, decimals… to strings)');
    const obj = v as Record<string, unknown>;
    for (const key of Object.keys(obj).sort()) {
      const e = obj[key] === undefined ? null : at(obj[key], `${p}.${key}`, d + 1);
      if (e) return e;
    }
    return null;
  };
  // Stryker disable next-line all: unreachable, `canonical` finds nothing `at` does not
  return at(value, path, depth) ?? invalid(path, 'is not JSON');
}

function invalid(path: string, why: string): KairosError {
  return new KairosError('AUDIT_ENTRY_INVALID', `${path}: ${why}`);
}

// In a `u` regex a surrogate pair is one code point, so only a lone surrogate matches.
// eslint-disable-next-line no-control-regex -- NUL is exactly what must be found
const UNSTORABLE = /[\uD800-\uDFFF\u0000]/gu;

/**
 * Text as every store keeps it: each lone surrogate (not UTF-16, so not UTF-8 either) and each
 * NUL (refused by Postgres text) becomes U+FFFD. Audit rows are hashed after this, so the hash
 * covers exactly the stored text.
 *
 * @example
 * storableText('a\u0000b\ud800'); // 'a\ufffdb\ufffd'
 */
export function storableText(s: string): string {
  return s.replace(UNSTORABLE, '\uFFFD');
}

const ESCAPED_UNSTORABLE = /\\u(0000|d[89a-f])/i;

/**
 * Whether JSON text (as `JSON.stringify` writes it) may hold a string `storableText` would
 * change: such a string's NUL or lone surrogate is written as an escape (`\u0000`, `\ud800`).
 * False means none does; true may be a false alarm (an escaped backslash before a `u`).
 *
 * @example
 * mayHoldUnstorable(JSON.stringify({ a: 'x\u0000' })); // true
 */
export function mayHoldUnstorable(json: string): boolean {
  return ESCAPED_UNSTORABLE.test(json);
}

/** `storableText` applied to every string and key of a JSON value. */
export function storableJson(value: JsonValue): JsonValue {
  const fix = (v: unknown): unknown => {
    if (typeof v === 'string') return storableText(v);
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(fix);
    // Own properties, as JSON.parse makes them: a key `__proto__` is kept, not taken as the
    // prototype (an assignment would drop it).
    return Object.fromEntries(Object.entries(v).map(([k, item]) => [storableText(k), fix(item)]));
  };
  return fix(value) as JsonValue;
}
