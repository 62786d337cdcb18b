import { MemoryMfaStore } from '../../../../src/security/totp/memory-mfa-store.js';

// MemoryMfaStore is the reference for what the MfaStore ports mean (the Postgres repository is
// checked against it in test/integration/store): the rules that stop a second factor being used
// twice or guessed without limit, per user.
describe('MemoryMfaStore', () => {
  it('stores a TOTP step only when it is greater than the stored one, per user', async () => {
    const s = new MemoryMfaStore();
    expect(await s.lastUsedStep('u1')).toBeNull();
    expect(await s.setLastUsedStep('u1', 100)).toBe(true);
    expect(await s.setLastUsedStep('u1', 100)).toBe(false);
    expect(await s.setLastUsedStep('u1', 99)).toBe(false);
    expect(await s.lastUsedStep('u1')).toBe(100);
    expect(await s.setLastUsedStep('u1', 101)).toBe(true);
    expect(await s.lastUsedStep('u1')).toBe(101);
    expect(await s.setLastUsedStep('u2', 5)).toBe(true);
    expect(await s.lastUsedStep('u2')).toBe(5);
  });

  it('keeps failure times per user, those strictly after a time, and forgets them on clear', async () => {
    const s = new MemoryMfaStore();
    for (const t of [10, 20, 30]) await s.recordFailure('u1', t);
    await s.recordFailure('u2', 15);
    expect(await s.failuresSince('u1', 10)).toEqual([20, 30]);
    expect(await s.failuresSince('u1', 0)).toEqual([20, 30]); // older ones may be forgotten
    expect(await s.failuresSince('u2', 0)).toEqual([15]);
    expect(await s.failuresSince('nobody', 0)).toEqual([]);
    await s.clearFailures('u1');
    expect(await s.failuresSince('u1', 0)).toEqual([]);
    expect(await s.failuresSince('u2', 0)).toEqual([15]);
  });

  it('reserves an attempt as a failure while the window has room, and keeps only the window', async () => {
    const s = new MemoryMfaStore();
    const policy = { maxFailures: 2, windowMs: 1000 };
    expect(await s.reserveAttempt('u1', 0, policy)).toEqual({ allowed: true, remaining: 2 });
    expect(await s.reserveAttempt('u1', 500, policy)).toEqual({ allowed: true, remaining: 1 });
    // Refused: nothing is recorded.
    expect(await s.reserveAttempt('u1', 600, policy)).toEqual({ allowed: false, retryAt: 1000 });
    expect(await s.failuresSince('u1', -1)).toEqual([0, 500]);
    // At 1000 the failure at 0 has left the window (it counts while now − window < t).
    expect(await s.reserveAttempt('u1', 1000, policy)).toEqual({ allowed: true, remaining: 1 });
    expect(await s.failuresSince('u1', -1)).toEqual([500, 1000]);
    expect(await s.reserveAttempt('u2', 1000, policy)).toEqual({ allowed: true, remaining: 2 });
  });

  it('uses each recovery code once; a new set voids the old; counts what is left', async () => {
    const s = new MemoryMfaStore();
    expect(await s.remainingRecoveryCodes('u1')).toBe(0);
    expect(await s.consumeRecoveryCode('u1', 'h1', 1)).toBe(false);
    await s.replaceRecoveryCodes('u1', ['h1', 'h2', 'h3']);
    expect(await s.remainingRecoveryCodes('u1')).toBe(3);
    expect(await s.consumeRecoveryCode('u1', 'h2', 1)).toBe(true);
    expect(await s.consumeRecoveryCode('u1', 'h2', 2)).toBe(false);
    expect(await s.consumeRecoveryCode('u1', 'nope', 2)).toBe(false);
    expect(await s.consumeRecoveryCode('u2', 'h1', 2)).toBe(false);
    expect(await s.remainingRecoveryCodes('u1')).toBe(2);
    await s.replaceRecoveryCodes('u1', ['h4']);
    expect(await s.consumeRecoveryCode('u1', 'h1', 3)).toBe(false);
    expect(await s.remainingRecoveryCodes('u1')).toBe(1);
  });
});
