/** What stands in for a redacted value. */
export const REDACTED = '[REDACTED]';

/** Known secrets shorter than this are not scrubbed by value (they would match ordinary words). */
export const MIN_KNOWN_SECRET_LENGTH = 8;

const MAX_DEPTH = 8;
/** The most keys of an object (items of a list) a redacted value keeps. */
export const MAX_ITEMS = 100;
const MAX_STRING = 8_192;

/** Key names (lower case, letters and digits only) that hold a secret wherever they contain one of these. */
const SECRET_PARTS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'authorization',
  'cookie',
  'credential',
  'totp',
  'mfacode',
  'otpcode',
  'recoverycode',
  'signature',
  'mnemonic',
  'jwt',
];
/** Key names that hold a secret when they are exactly one of these. */
const SECRET_NAMES = new Set([
  'pass',
  'pwd',
  'otp',
  'pin',
  'seed',
  'auth',
  'bearer',
  'sig',
  'challenge',
  'body',
  'rawbody',
  'requestbody',
  'apisecret',
  'uid',
]);
/** A key ending in one of these names a secret rather than holding it (`credentialId`). */
const NAMING_SUFFIX = /(id|ids|label|labels|count|enrolled)$/;

/**
 * Whether a field named `key` holds a secret: passwords, TOTP codes and seeds, tokens (access,
 * refresh, JWT), API keys and secrets, `Authorization` and cookies, credentials, request bodies.
 * The name is compared without case, `_` or `-` (`api_key`, `X-MBX-APIKEY`, `apiKey` are one).
 * A name that only refers to a secret (`credentialId`, `tokenCount`) is not one.
 *
 * @example
 * isSecretKey('refresh_token'); // true
 * isSecretKey('credentialId'); // false
 */
export function isSecretKey(key: string): boolean {
  let secret = SECRET_KEYS.get(key);
  if (secret === undefined) {
    secret = secretName(key);
    // A line's keys are few and repeat: each name is judged once (a bounded memo).
    if (key.length <= MEMO_MAX_LENGTH) remember(SECRET_KEYS, key, secret);
  }
  return secret;
}

/** The longest key or string remembered by the memos below, and how many each keeps. */
const MEMO_MAX_LENGTH = 200;
const MEMO_MAX_ENTRIES = 2_000;
const SECRET_KEYS = new Map<string, boolean>();

/** Adds to a bounded memo: a full one starts again empty. */
function remember<T>(memo: Map<string, T>, key: string, value: T): void {
  if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
  memo.set(key, value);
}

function secretName(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (SECRET_NAMES.has(k)) return true;
  if (NAMING_SUFFIX.test(k)) return false;
  return SECRET_PARTS.some((part) => k.includes(part));
}

// Values that look like a secret wherever they appear, whatever the field or message.
const JWT = /eyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*)*/g;
const REFRESH_TOKEN = /krt_[A-Za-z0-9_-]+/g;
const AUTH_SCHEME = /\b(Bearer|Basic|Digest)(\s+)[A-Za-z0-9._~+/=-]+/gi;
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi;
const PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const OTPAUTH = /otpauth:\/\/\S+/gi;
// `name: value`, `"name":"value"`, `name=value`: a name, its separator, maybe an opening quote.
const PAIR = /([A-Za-z_][\w.-]*)("?\s*[:=]\s*)("?)/g;
const BARE_VALUE_END = /[\s"'&,;)}\]]/g;

/** `s` with the value of every `name=value` pair whose name is a secret's replaced. */
function scrubPairs(s: string): string {
  let out = '';
  let last = 0;
  const pair = new RegExp(PAIR);
  for (let m = pair.exec(s); m !== null; m = pair.exec(s)) {
    const [whole, name = '', , quote] = m;
    if (!isSecretKey(name)) {
      // Go on after the name: its value may itself be a name (`Error: token: abc`).
      pair.lastIndex = m.index + name.length;
      continue;
    }
    const start = m.index + whole.length;
    if (s.startsWith(REDACTED, start)) {
      pair.lastIndex = start + REDACTED.length;
      continue;
    }
    let end = s.length;
    if (quote) {
      for (let i = start; i < s.length; i++) {
        if (s[i] === '\\') i++;
        else if (s[i] === '"') {
          end = i;
          break;
        }
      }
    } else {
      const stop = new RegExp(BARE_VALUE_END);
      stop.lastIndex = start;
      end = stop.exec(s)?.index ?? s.length;
    }
    if (end > start) {
      out += s.slice(last, start) + REDACTED;
      last = end;
    }
    pair.lastIndex = Math.max(end, start);
  }
  return out + s.slice(last);
}

/**
 * Every pattern above needs one of these: `:` or `=` (pairs, URLs, `otpauth:`), white space (an
 * auth scheme, a PEM header), `eyJ` (a JWT) or `krt_` (a refresh token). A string with none is
 * one `scrubPatterns` returns unchanged.
 */
const MAY_LOOK_SECRET = /[:=\s]|eyJ|krt_/;

/**
 * Strings `scrubPatterns` left unchanged (messages, `user:<id>` strategy ids: each line repeats
 * them), so they are scanned once. Only strings with nothing to scrub are kept: a memo never
 * holds a secret.
 */
const CLEAN = new Map<string, true>();

/** `scrubPatterns(s)`, remembering short strings it finds nothing in. */
function scrubPatternsOnce(s: string): string {
  if (CLEAN.has(s)) return s;
  const out = scrubPatterns(s);
  if (out === s && s.length <= MEMO_MAX_LENGTH) remember(CLEAN, s, true);
  return out;
}

/** `s` with every secret-looking value replaced (the patterns above, then `name=value` pairs). */
export function scrubPatterns(s: string): string {
  return scrubPairs(
    s
      .replace(PEM, REDACTED)
      .replace(OTPAUTH, REDACTED)
      .replace(JWT, REDACTED)
      .replace(REFRESH_TOKEN, REDACTED)
      .replace(AUTH_SCHEME, `$1$2${REDACTED}`)
      .replace(URL_PASSWORD, `$1${REDACTED}@`),
  );
}

/**
 * Takes secrets out of what a logger writes. Fields named like a secret lose their value
 * (recursively, in objects, arrays, maps and error causes); every string left, keys and
 * messages included, is scrubbed of values that look like one (JWTs, refresh tokens,
 * `Bearer …`, `password=…`, URL passwords, private keys, `otpauth://` URIs) and of every
 * known secret it was given (`addSecret`). The result is plain JSON data. It cannot be turned off.
 *
 * @example
 * const r = new Redactor();
 * r.addSecret(apiKey);
 * r.fields({ user: 'tom', password: 'hunter2hunter2' }); // { user: 'tom', password: '[REDACTED]' }
 * r.text(`GET /x?signature=abc ${apiKey}`); // 'GET /x?signature=[REDACTED] [REDACTED]'
 */
export class Redactor {
  #known: string[] = [];

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.addSecret(s);
  }

  /** A value that must never be written (an API key, a password); shorter than 8 characters: ignored. */
  addSecret(value: string): void {
    if (value.length < MIN_KNOWN_SECRET_LENGTH || this.#known.includes(value)) return;
    // Longest first, so a secret containing another is replaced whole.
    this.#known = [...this.#known, value].sort((a, b) => b.length - a.length);
  }

  /** How many known secrets were added: what was redacted before it changed may need it again. */
  get secretsAdded(): number {
    return this.#known.length;
  }

  /** `text` with every secret-looking value and known secret replaced, cut to 8 KiB. */
  text(text: string): string {
    let s = text;
    for (const secret of this.#known) if (s.includes(secret)) s = s.split(secret).join(REDACTED);
    // Most strings logged (ids, routes, codes) can hold none of the patterns: no scan for them.
    if (MAY_LOOK_SECRET.test(s)) s = scrubPatternsOnce(s);
    return s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}…[${s.length - MAX_STRING} more]` : s;
  }

  /** Structured fields as plain, redacted JSON data (never throws). */
  fields(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const keys = Object.keys(fields);
    // Most lines' fields are flat (ids, codes, counts): no entries copied, and the set of the
    // objects being walked (cycles) made only when a field holds one.
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (i === MAX_ITEMS) {
        out['[more]'] = keys.length - MAX_ITEMS;
        break;
      }
      out[this.text(key)] = this.#field(key, fields[key], 0, undefined);
    }
    return out;
  }

  /** Any value as plain, redacted JSON data (never throws). */
  value(value: unknown): unknown {
    return this.#value(value, 0, undefined);
  }

  /** The value of a field named `key`, redacted whole when the name is a secret's. */
  #field(key: string, v: unknown, depth: number, seen: WeakSet<object> | undefined): unknown {
    return isSecretKey(key) && v !== null && v !== undefined && typeof v !== 'boolean'
      ? REDACTED
      : this.#value(v, depth + 1, seen);
  }

  #value(value: unknown, depth: number, walking: WeakSet<object> | undefined): unknown {
    switch (typeof value) {
      case 'string':
        return this.text(value);
      case 'number':
        return Number.isFinite(value) ? value : String(value);
      case 'boolean':
        return value;
      case 'bigint':
        return value.toString();
      case 'undefined':
        return null;
      case 'symbol':
        return this.text(value.toString());
      case 'function':
        return `[function ${this.text(value.name)}]`;
    }
    if (value === null) return null;
    const obj = value as object;
    const seen = walking ?? new WeakSet<object>();
    if (seen.has(obj)) return '[circular]';
    if (depth >= MAX_DEPTH) return '[too deep]';
    seen.add(obj);
    try {
      return this.#objectValue(obj, depth, seen);
    } catch (e) {
      return `[unserialisable: ${this.text(String((e as Error)?.message ?? e))}]`;
    } finally {
      seen.delete(obj);
    }
  }

  #objectValue(obj: object, depth: number, seen: WeakSet<object>): unknown {
    if (obj instanceof Error) return this.#error(obj, depth, seen);
    if (obj instanceof Date)
      return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) return `[${obj.byteLength} bytes]`;
    if (Array.isArray(obj)) return this.#list(obj, depth, seen);
    if (obj instanceof Set) return this.#list([...obj], depth, seen);
    if (obj instanceof Map)
      return this.#object(
        [...obj.entries()].map(([k, v]) => [String(k), v]),
        depth,
        seen,
      );
    const toJSON = (obj as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return this.#value(toJSON.call(obj), depth + 1, seen);
    return this.#object(Object.entries(obj), depth, seen);
  }

  #list(items: readonly unknown[], depth: number, seen: WeakSet<object>): unknown[] {
    const out = items.slice(0, MAX_ITEMS).map((v) => this.#value(v, depth + 1, seen));
    if (items.length > MAX_ITEMS) out.push(`[${items.length - MAX_ITEMS} more]`);
    return out;
  }

  #object(
    entries: readonly (readonly [string, unknown])[],
    depth: number,
    seen: WeakSet<object>,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const [key, v] of entries) {
      if (n++ === MAX_ITEMS) {
        out['[more]'] = entries.length - MAX_ITEMS;
        break;
      }
      out[this.text(key)] = this.#field(key, v, depth, seen);
    }
    return out;
  }

  #error(e: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    return {
      name: this.text(e.name),
      message: this.text(e.message),
      ...(code === undefined ? {} : { code: this.#value(code, depth + 1, seen) }),
      ...(e.stack === undefined ? {} : { stack: this.text(e.stack) }),
      ...(cause === undefined ? {} : { cause: this.#value(cause, depth + 1, seen) }),
    };
  }
}
