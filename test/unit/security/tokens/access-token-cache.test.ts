import fc from 'fast-check';
import { AccessTokens } from '../../../../src/security/tokens/access-tokens.js';
import { SigningKeys } from '../../../../src/security/tokens/signing-keys.js';

const T0 = 1_700_000_000_000;

type Op =
  | { kind: 'sign'; ttlS: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'rotate'; overlapMs: number }
  | { kind: 'verify'; pick: number; tamper: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('sign' as const), ttlS: fc.integer({ min: 1, max: 600 }) }),
  // Clocks move back too (an NTP step, a test clock): a cached token must not outrun them.
  fc.record({
    kind: fc.constant('advance' as const),
    ms: fc.integer({ min: -120_000, max: 400_000 }),
  }),
  fc.record({
    kind: fc.constant('rotate' as const),
    overlapMs: fc.integer({ min: 0, max: 300_000 }),
  }),
  fc.record({ kind: fc.constant('verify' as const), pick: fc.nat(), tamper: fc.boolean() }),
);

/** What a verification answered: the claims, or the refusal's code and message. */
function outcome(verify: () => unknown): unknown {
  try {
    return { ok: verify() };
  } catch (e) {
    const k = e as { code?: string; message?: string };
    return { refused: k.code, message: k.message };
  }
}

describe('AccessTokens remembers verified tokens', () => {
  it('answers exactly what a full verification answers, whatever the clock and the key ring do', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const clock = { t: T0 };
        const now = () => clock.t;
        const keys = new SigningKeys(now, SigningKeys.generateKey());
        const remembering = new AccessTokens({ keys, now, issuer: 'kairos', audience: 'api' });
        const tokens: string[] = [];
        let n = 0;
        for (const o of ops) {
          if (o.kind === 'sign') {
            const signer = new AccessTokens({
              keys,
              now,
              issuer: 'kairos',
              audience: 'api',
              ttlMs: o.ttlS * 1000,
            });
            tokens.push(signer.sign({ sub: `u${++n}`, role: 'trader', sid: `s${n}` }).token);
          } else if (o.kind === 'advance') {
            clock.t += o.ms;
          } else if (o.kind === 'rotate') {
            keys.rotate(SigningKeys.generateKey(), o.overlapMs);
          } else if (tokens.length > 0) {
            const token = tokens[o.pick % tokens.length]!;
            // A changed signature byte: never the remembered token's answer.
            const t = o.tamper
              ? `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`
              : token;
            const fresh = new AccessTokens({ keys, now, issuer: 'kairos', audience: 'api' });
            expect(outcome(() => remembering.verify(t))).toEqual(outcome(() => fresh.verify(t)));
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a token remembered as valid is refused once it expires, once its key retires, and before it was issued', () => {
    const clock = { t: T0 };
    const now = () => clock.t;
    const keys = new SigningKeys(now, SigningKeys.generateKey());
    const access = new AccessTokens({ keys, now, issuer: 'kairos', audience: 'api' });
    const { token } = access.sign({ sub: 'u1', role: 'trader', sid: 's1' });
    expect(access.verify(token).sub).toBe('u1');
    // A clock stepped back before the token was issued: refused as a full check would.
    clock.t -= 60_000;
    expect(() => access.verify(token)).toThrow(
      expect.objectContaining({
        code: 'AUTH_INVALID_TOKEN',
        message: 'access token: issued in the future',
      }),
    );
    clock.t += 60_000;
    expect(access.verify(token).sub).toBe('u1');
    keys.rotate(SigningKeys.generateKey(), 60_000);
    expect(access.verify(token).sub).toBe('u1');
    clock.t += 60_000;
    expect(() => access.verify(token)).toThrow(
      expect.objectContaining({ code: 'AUTH_INVALID_TOKEN' }),
    );
    const other = access.sign({ sub: 'u2', role: 'trader', sid: 's2' }).token;
    expect(access.verify(other).sub).toBe('u2');
    clock.t += 300_000;
    expect(() => access.verify(other)).toThrow(
      expect.objectContaining({ code: 'AUTH_TOKEN_EXPIRED' }),
    );
  });
});
