import {
  COMMON_PASSWORD_COUNT,
  isCommonPassword,
} from '../../../../src/security/passwords/common-passwords.js';
import { checkPasswordPolicy } from '../../../../src/security/passwords/password-policy.js';

function refusal(password: string, context?: Parameters<typeof checkPasswordPolicy>[1]) {
  try {
    checkPasswordPolicy(password, context);
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('the password was accepted');
}

describe('password policy', () => {
  it('refuses short passwords, naming the field and the rule', () => {
    expect(refusal('Tr0ub4dor&3')).toEqual(
      expect.objectContaining({
        code: 'PASSWORD_WEAK',
        message: 'password: must be at least 12 characters (got 11)',
      }),
    );
    expect(refusal('short', { field: 'newPassword' }).message).toBe(
      'newPassword: must be at least 12 characters (got 5)',
    );
  });

  it('counts Unicode code points, not UTF-16 units', () => {
    expect(refusal('🐉'.repeat(11)).message).toMatch(/at least 12 characters \(got 11\)/);
    expect(() => checkPasswordPolicy('🐉'.repeat(12))).not.toThrow();
    expect(() => checkPasswordPolicy('密码密码密码密码密码密码')).not.toThrow();
  });

  it('accepts 12, 64 and 128 characters and refuses 129', () => {
    expect(() => checkPasswordPolicy('plum-kettle-9')).not.toThrow();
    expect(() => checkPasswordPolicy('x7'.repeat(32))).not.toThrow();
    expect(() => checkPasswordPolicy('v3ry-long-'.repeat(12) + 'abcdefgh')).not.toThrow();
    expect(('v3ry-long-'.repeat(12) + 'abcdefgh').length).toBe(128);
    expect(refusal('a'.repeat(64) + 'b'.repeat(65)).message).toBe(
      'password: must be at most 128 characters (got 129)',
    );
  });

  it('refuses common passwords, ignoring case', () => {
    for (const pw of ['qwerty123456', 'Qwerty123456', 'PASSWORD1234', 'passwordpassword']) {
      expect(refusal(pw)).toEqual(
        expect.objectContaining({
          code: 'PASSWORD_WEAK',
          message: 'password: is one of the most common passwords; choose a less predictable one',
        }),
      );
    }
  });

  it('refuses the username as password, ignoring case', () => {
    expect(refusal('Alice.Smith.1990', { username: 'alice.smith.1990' }).message).toBe(
      'password: must not be the same as the username',
    );
    expect(() =>
      checkPasswordPolicy('alice.smith.1990!', { username: 'alice.smith.1990' }),
    ).not.toThrow();
  });

  it('never puts the password in the message', () => {
    expect(refusal('hunter2').message).not.toContain('hunter2');
  });

  it('the common list holds well over a thousand entries', () => {
    expect(COMMON_PASSWORD_COUNT).toBeGreaterThan(2000);
    for (const pw of ['123456', 'password', 'qwerty123', 'iloveyou', 'trustno1', '1q2w3e4r5t6y']) {
      expect(isCommonPassword(pw)).toBe(true);
    }
    expect(isCommonPassword('plum-kettle-9')).toBe(false);
  });
});
