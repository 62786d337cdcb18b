import { KairosError } from '../../trading/core/errors.js';

/** A JSON value: what an audit payload may hold. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * Canonical JSON: no whitespace, object keys sorted by UTF-16 code unit, numbers and strings as
 * `JSON.stringify` writes them. For JSON values this is RFC 8785 (JCS), so another language's
 * JCS library reproduces the bytes. Keys whose value is `undefined` are left out, as JSON does;
 * anything JSON cannot carry (NaN, Infinity, bigint, functions, class instances) throws
 * `AUDIT_ENTRY_INVALID` naming its path.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, 'x'] }); // '{"a":[true,"x"],"b":1}'
 */
export function canonicalJson(value: unknown, path = '$'): string {
  if (value === null) return 'null';
  switch (typeof value) {
    // Stryker disable next-line ConditionalExpression: equivalent, without this case a boolean falls to JSON.stringify, which writes it the same
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, `${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw invalid(path, `a ${typeof value} is not JSON`);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(',')}]`;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    throw invalid(path, 'only plain objects are JSON (convert dates, decimals… to strings)');
  }
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    if (obj[key] === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(obj[key], `${path}.${key}`)}`);
  }
  return `{${parts.join(',')}}`;
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
