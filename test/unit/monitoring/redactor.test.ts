import fc from 'fast-check';
import { createLogger } from '../../../src/monitoring/logger.js';
import {
  isSecretKey,
  REDACTED,
  Redactor,
  scrubPatterns,
} from '../../../src/monitoring/redactor.js';
import { binaryString } from '../../support/binary-string.js';
import { hot } from '../../support/hot-expect.js';

/** Field names that hold a secret, as code, headers and venues spell them. */
const SECRET_KEYS = [
  'password',
  'newPassword',
  'passwordHash',
  'passphrase',
  'secret',
  'totpSecret',
  'apiSecret',
  'apiKey',
  'api_key',
  'X-MBX-APIKEY',
  'accessToken',
  'refreshToken',
  'token',
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'credential',
  'credentials',
  'code_totp',
  'totp',
  'otp',
  'mfaCode',
  'recoveryCodes',
  'seed',
  'privateKey',
  'signature',
  'challenge',
  'body',
  'uid',
];

/** A canary: a value no generated structure holds unless we put it there. */
const canary = fc.stringMatching(/^[A-Za-z0-9]{6,20}$/).map((s) => `CANARY${s}`);

/** Any JSON-ish tree, with leaves of every kind. */
const tree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('node'), { maxKeys: 4 }),
  ),
})).node;

/** `base` with `value` put under a secret key at a random path (objects and arrays on the way). */
function plant(base: unknown, path: readonly number[], key: string, value: unknown): unknown {
  const [step, ...rest] = path;
  if (step === undefined || typeof base !== 'object' || base === null)
    return { outer: base, [key]: value };
  if (Array.isArray(base)) {
    const copy = [...(base as unknown[])];
    copy[step % (copy.length + 1)] = plant(copy[step % (copy.length + 1)], rest, key, value);
    return copy;
  }
  const keys = Object.keys(base);
  const at = keys[step % (keys.length + 1)] ?? `k${step}`;
  return { ...base, [at]: plant((base as Record<string, unknown>)[at], rest, key, value) };
}

/** A JWT-shaped string with random parts. */
const jwt = fc
  .tuple(
    fc.base64String({ minLength: 8, maxLength: 40 }),
    fc.base64String({ minLength: 8, maxLength: 80 }),
    fc.base64String({ minLength: 0, maxLength: 40 }),
  )
  .map(([h, p, s]) => {
    const url = (x: string) => x.replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '');
    return `eyJ${url(h)}.${url(p)}.${url(s)}`;
  });

function line(fields: Record<string, unknown>, message = 'm', secrets: string[] = []): string {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (l) => lines.push(l), secrets });
  log.child({ component: 'test' }).debug(message, fields);
  expect(lines).toHaveLength(1);
  JSON.parse(lines[0]!); // still one valid JSON object
  return lines[0]!;
}

describe('Redactor', () => {
  it('knows secret field names however they are spelt, and not the ids that name them', () => {
    for (const k of SECRET_KEYS) expect([k, isSecretKey(k)]).toEqual([k, true]);
    for (const k of [
      'credentialId',
      'clientOrderId',
      'userId',
      'requestId',
      'venue',
      'code',
      'reason',
      'message',
      'tokenCount',
      'label',
      'totpEnrolled',
      'footprint',
    ])
      expect([k, isSecretKey(k)]).toEqual([k, false]);
  });

  it('a canary under a secret field never reaches the line, at any depth', () => {
    fc.assert(
      fc.property(
        tree,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom(...SECRET_KEYS),
        canary,
        fc.oneof(
          fc.constant('plain'),
          fc.constant('object'),
          fc.constant('array'),
          fc.constant('number'),
        ),
        (base, path, key, secret, shape) => {
          const value =
            shape === 'object'
              ? { nested: secret, apiKey: secret }
              : shape === 'array'
                ? [secret, { x: secret }]
                : shape === 'number'
                  ? `${secret}123456`
                  : secret;
          const fields = plant(base, path, key, value);
          const out = line({ f: fields });
          expect(out).not.toContain(secret);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a known secret never reaches the line: in keys, values, messages, errors and causes', () => {
    fc.assert(
      fc.property(
        tree,
        fc.array(fc.nat(), { maxLength: 6 }),
        canary,
        fc.string(),
        (base, path, secret, noise) => {
          const err = new Error(`failed with ${secret}`, { cause: new Error(`${noise}${secret}`) });
          const fields = plant(base, path, 'note', `${noise}${secret}${noise}`);
          const out = line(
            { f: fields, err, [`key-${secret}`]: 1, list: [noise, secret] },
            `message ${noise}${secret}`,
            [secret],
          );
          expect(out).not.toContain(secret);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a JWT, refresh token or Bearer credential is scrubbed from any string, under any key', () => {
    fc.assert(
      fc.property(
        tree,
        fc.array(fc.nat(), { maxLength: 6 }),
        jwt,
        fc.stringMatching(/^[A-Za-z0-9_-]{20,43}$/),
        fc.string({ maxLength: 10 }),
        (base, path, token, refresh, noise) => {
          const fields = plant(base, path, 'note', `${noise} ${token} krt_${refresh}`);
          const out = line({ f: fields, header: `Bearer ${refresh}` }, `token ${token}${noise}`);
          expect(out).not.toContain(token.slice(0, 30));
          expect(out).not.toContain(refresh);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('scrubs name=value pairs of secrets in free text (query strings, JSON, error messages)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SECRET_KEYS.filter((k) => /^[A-Za-z_]/.test(k))),
        canary,
        fc.constantFrom('=', ': ', '":"', ' = '),
        fc.string({ maxLength: 12 }).filter((s) => !/[A-Za-z0-9]/.test(s.slice(0, 1))),
        (key, secret, sep, tail) => {
          const quoted = sep === '":"';
          const text = quoted
            ? `{"${key}${sep}${secret}","x":1}${tail}`
            : `Error: ${key}${sep}${secret}&next=1 ${tail}`;
          const out = new Redactor().text(text);
          expect(out).not.toContain(secret);
          expect(out).toContain(REDACTED);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('scrubs URL passwords, private keys and otpauth URIs, and keeps ordinary text', () => {
    const r = new Redactor();
    expect(r.text('postgres://kairos:pw-s3cret@db:5432/k')).toBe(
      'postgres://kairos:[REDACTED]@db:5432/k',
    );
    expect(r.text('k -----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY----- done')).toBe(
      `k ${REDACTED} done`,
    );
    expect(r.text('otpauth://totp/Kairos:tom?secret=JBSWY3DPEHPK3PXP&issuer=Kairos')).toBe(
      REDACTED,
    );
    expect(r.text('order sma-1 accepted by binance: 0.5 BTC at 42000 (code=RISK_OK)')).toBe(
      'order sma-1 accepted by binance: 0.5 BTC at 42000 (code=RISK_OK)',
    );
  });

  it('a string skipped by the quick check is one the full scrub leaves alone: no secret slips past it', () => {
    // Strings built from the pieces secrets are made of, separators and prefixes included, so
    // that most of them do look like a secret somewhere.
    const piece = fc.constantFrom(
      ...['eyJ', 'ey', 'J', 'krt_', 'krt', 'Bearer', 'basic', 'password', 'token', 'otpauth'],
      ...[':', '=', ' ', '\t', '\u00a0', '\u2028', '"', '/', '@', '-----BEGIN', 'PRIVATE KEY'],
      ...['abc', 'A9_-', '.', 'x://u:p@h', '&', ','],
    );
    const text = fc.oneof(
      fc.array(piece, { maxLength: 12 }).map((xs) => xs.join('')),
      binaryString({ maxLength: 60 }),
    );
    const r = new Redactor();
    fc.assert(
      fc.property(text, (s) => {
        hot(r.text(s)).toBe(scrubPatterns(s));
        hot(r.text(s)).toBe(scrubPatterns(s)); // again, from the memo when it was clean
      }),
      { numRuns: 3_000 },
    );
  });

  it('scans a repeated string once and answers the same each time: a secret in it is scrubbed every time', () => {
    const r = new Redactor();
    const clean = 'order accepted by user:0b6f6c1e for BTC/X';
    const leaky = 'retrying with token=abc123def456 after 503';
    for (let i = 0; i < 3; i++) {
      expect(r.text(clean)).toBe(clean);
      expect(r.text(leaky)).toBe(`retrying with token=${REDACTED} after 503`);
      expect(isSecretKey('refresh_token')).toBe(true);
      expect(isSecretKey('credentialId')).toBe(false);
    }
    // A string first seen clean, once a secret it holds is known, loses the secret.
    const later = 'strategy user:s3cr3t-value-xyz started';
    expect(r.text(later)).toBe(later);
    r.addSecret('s3cr3t-value-xyz');
    expect(r.text(later)).toBe(`strategy user:${REDACTED} started`);
    // Past the memo's bound (it starts again empty) the answers stay the same.
    for (let i = 0; i < 5_000; i++) r.text(`order ${i} accepted`);
    for (let i = 0; i < 5_000; i++) isSecretKey(`field${i}`);
    expect(r.text(clean)).toBe(clean);
    expect(r.text(leaky)).toBe(`retrying with token=${REDACTED} after 503`);
    expect(isSecretKey('apiKey')).toBe(true);
    expect(isSecretKey('tokenCount')).toBe(false);
  });

  it('turns any value into plain JSON data without throwing', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withSparseArray: true,
          withNullPrototype: true,
        }),
        (value) => {
          const out = new Redactor().value(value);
          expect(() => JSON.stringify(out)).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });
});
