import { checkAttempts } from '../../../../src/security/totp/attempt-limiter.js';
import { MemoryMfaStore } from '../../../../src/security/totp/memory-mfa-store.js';
import { MfaVerifier } from '../../../../src/security/totp/mfa-verifier.js';
import { recoveryCodeHash } from '../../../../src/security/totp/recovery-codes.js';
import { Totp } from '../../../../src/security/totp/totp.js';

const T0 = 56_666_667 * 30_000;
const MIN = 60_000;
const WINDOW = 15 * MIN;

function setup() {
  const clock = { t: T0 };
  const now = () => clock.t;
  const totp = new Totp(now);
  const store = new MemoryMfaStore();
  const mfa = new MfaVerifier({ totp, store, now });
  const secret = totp.generateSecret();
  const wrongCode = async () => {
    const c = await totp.codeAt(secret, clock.t);
    return String((Number(c) + 500_000) % 1_000_000).padStart(6, '0');
  };
  return { clock, totp, store, mfa, secret, wrongCode };
}

describe('checkAttempts', () => {
  it('allows until 5 failures sit in the last 15 minutes', () => {
    expect(checkAttempts([], 0)).toEqual({ allowed: true, remaining: 5 });
    expect(checkAttempts([1, 2, 3, 4], 10)).toEqual({ allowed: true, remaining: 1 });
    expect(checkAttempts([5, 1, 4, 2, 3], 10)).toEqual({ allowed: false, retryAt: 1 + WINDOW });
  });

  it('forgets failures once they leave the window', () => {
    const f = [1, 2, 3, 4, 5];
    expect(checkAttempts(f, WINDOW)).toEqual({ allowed: false, retryAt: 1 + WINDOW });
    expect(checkAttempts(f, 1 + WINDOW)).toEqual({ allowed: true, remaining: 1 });
    expect(checkAttempts(f, 5 + WINDOW)).toEqual({ allowed: true, remaining: 5 });
  });
});

describe('MfaVerifier', () => {
  it('accepts a TOTP code once and refuses the replay', async () => {
    const { clock, totp, mfa, store, secret } = setup();
    const code = await totp.codeAt(secret, clock.t);
    const first = await mfa.verifyTotp('u1', secret, code);
    expect(first).toEqual({ ok: true, method: 'totp', step: totp.stepAt(clock.t) });
    await expect(store.lastUsedStep('u1')).resolves.toBe(totp.stepAt(clock.t));
    clock.t += 10_000; // same step, 10 s later
    await expect(mfa.verifyTotp('u1', secret, code)).resolves.toEqual({
      ok: false,
      reason: 'MFA_CODE_REPLAYED',
    });
  });

  it('locks after 5 failures in 15 minutes (even a right code), and opens after the window', async () => {
    const { clock, totp, mfa, secret, wrongCode } = setup();
    const firstFailure = clock.t;
    for (let i = 0; i < 5; i++) {
      await expect(mfa.verifyTotp('u1', secret, await wrongCode())).resolves.toEqual({
        ok: false,
        reason: 'MFA_CODE_INVALID',
      });
      clock.t += MIN;
    }
    const right = await totp.codeAt(secret, clock.t);
    await expect(mfa.verifyTotp('u1', secret, right)).resolves.toEqual({
      ok: false,
      reason: 'MFA_LOCKED',
      retryAt: firstFailure + WINDOW,
    });
    // Another account is not affected.
    await expect(
      mfa.verifyTotp('u2', secret, await totp.codeAt(secret, clock.t)),
    ).resolves.toMatchObject({ ok: true });
    clock.t = firstFailure + WINDOW - 1;
    await expect(
      mfa.verifyTotp('u1', secret, await totp.codeAt(secret, clock.t)),
    ).resolves.toMatchObject({ reason: 'MFA_LOCKED' });
    clock.t = firstFailure + WINDOW;
    await expect(
      mfa.verifyTotp('u1', secret, await totp.codeAt(secret, clock.t)),
    ).resolves.toMatchObject({ ok: true, method: 'totp' });
  });

  it('refuses as a replay a code whose step a parallel request stored after this one read it', async () => {
    const { clock, totp, store, secret } = setup();
    // The read returns the step as it was before the other request wrote it.
    const stale = Object.assign(Object.create(store) as MemoryMfaStore, {
      lastUsedStep: async () => null,
    });
    const mfa = new MfaVerifier({ totp, store: stale, now: () => clock.t });
    const code = await totp.codeAt(secret, clock.t);
    expect(await store.setLastUsedStep('u1', totp.stepAt(clock.t))).toBe(true); // the other request
    expect(await mfa.verifyTotp('u1', secret, code)).toEqual({
      ok: false,
      reason: 'MFA_CODE_REPLAYED',
    });
  });

  it('a success clears the failures', async () => {
    const { clock, totp, mfa, secret, wrongCode } = setup();
    for (let i = 0; i < 4; i++) await mfa.verifyTotp('u1', secret, await wrongCode());
    await mfa.verifyTotp('u1', secret, await totp.codeAt(secret, clock.t));
    clock.t += 30_000;
    for (let i = 0; i < 4; i++) {
      await expect(mfa.verifyTotp('u1', secret, await wrongCode())).resolves.toMatchObject({
        reason: 'MFA_CODE_INVALID',
      });
    }
  });

  it('replays count as failures', async () => {
    const { clock, totp, mfa, secret } = setup();
    const code = await totp.codeAt(secret, clock.t);
    await mfa.verifyTotp('u1', secret, code);
    for (let i = 0; i < 5; i++) await mfa.verifyTotp('u1', secret, code);
    await expect(mfa.verifyTotp('u1', secret, code)).resolves.toMatchObject({
      reason: 'MFA_LOCKED',
    });
  });

  it('issues 10 recovery codes, stores only their hashes, and accepts each once', async () => {
    const { mfa, store } = setup();
    const codes = await mfa.issueRecoveryCodes('u1');
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    // The store knows the hash, not the code.
    const c0 = codes[0] as string;
    expect(recoveryCodeHash(c0)).toMatch(/^[0-9a-f]{64}$/);
    await expect(store.consumeRecoveryCode('u1', c0, 0)).resolves.toBe(false);

    await expect(mfa.useRecoveryCode('u1', c0.toUpperCase().replace(/-/g, ' '))).resolves.toEqual({
      ok: true,
      method: 'recovery-code',
      remaining: 9,
    });
    await expect(mfa.useRecoveryCode('u1', c0)).resolves.toEqual({
      ok: false,
      reason: 'MFA_CODE_INVALID',
    });
    await expect(mfa.useRecoveryCode('u2', codes[1] as string)).resolves.toMatchObject({
      ok: false,
    });
    await expect(mfa.useRecoveryCode('u1', codes[1] as string)).resolves.toMatchObject({
      ok: true,
      remaining: 8,
    });
  });

  it('a new set of recovery codes voids the old set', async () => {
    const { mfa } = setup();
    const old = await mfa.issueRecoveryCodes('u1');
    const fresh = await mfa.issueRecoveryCodes('u1');
    await expect(mfa.useRecoveryCode('u1', old[2] as string)).resolves.toMatchObject({
      ok: false,
    });
    await expect(mfa.useRecoveryCode('u1', fresh[2] as string)).resolves.toMatchObject({
      ok: true,
    });
  });

  it('recovery-code guesses share the failure limit', async () => {
    const { mfa } = setup();
    const codes = await mfa.issueRecoveryCodes('u1');
    for (let i = 0; i < 5; i++) await mfa.useRecoveryCode('u1', 'aaaa-bbbb-cccc-dddd');
    await expect(mfa.useRecoveryCode('u1', codes[0] as string)).resolves.toMatchObject({
      reason: 'MFA_LOCKED',
    });
  });

  it('normalises recovery codes the Crockford way and rejects non-codes', () => {
    expect(recoveryCodeHash('0ooo-1il1-abcd-efgh')).toBe(recoveryCodeHash('0000-1111-ABCD-EFGH'));
    expect(recoveryCodeHash('too-short')).toBeNull();
    expect(recoveryCodeHash('uuuu-uuuu-uuuu-uuuu')).toBeNull();
    // One symbol outside the alphabet is enough to refuse it.
    expect(recoveryCodeHash('abcd-efgh-jkmn-pqru')).toBeNull();
    expect(recoveryCodeHash('abcd-efgh-jkmn-pqrs')).toMatch(/^[0-9a-f]{64}$/);
  });
});
