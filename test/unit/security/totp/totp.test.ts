import { Totp } from '../../../../src/security/totp/totp.js';

// The start of a 30 s step, so ±1 step is exactly ±30 s.
const T0 = 56_666_667 * 30_000;
const STEP = 30_000;

describe('Totp', () => {
  let t = T0;
  const totp = new Totp(() => t);
  const secret = totp.generateSecret();
  beforeEach(() => {
    t = T0;
  });

  it('makes 160-bit base32 secrets, different each time', () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 32 base32 chars = 160 bits
    expect(totp.generateSecret()).not.toBe(secret);
  });

  it('gives an otpauth URI with issuer Kairos and the account name', () => {
    const uri = new URL(totp.keyUri(secret, 'alice@example.com'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Kairos:alice@example.com');
    expect(uri.searchParams.get('issuer')).toBe('Kairos');
    expect(uri.searchParams.get('secret')).toBe(secret);
  });

  it('accepts the current code and returns its step', async () => {
    const code = await totp.codeAt(secret, t);
    await expect(totp.verify(secret, code)).resolves.toEqual({ ok: true, step: totp.stepAt(t) });
  });

  it('accepts one step either side and refuses two', async () => {
    for (const d of [-1, 1]) {
      const r = await totp.verify(secret, await totp.codeAt(secret, t + d * STEP));
      expect(r).toEqual({ ok: true, step: totp.stepAt(t) + d });
    }
    for (const d of [-2, 2]) {
      const r = await totp.verify(secret, await totp.codeAt(secret, t + d * STEP));
      expect(r).toEqual({ ok: false, reason: 'MFA_CODE_INVALID' });
    }
  });

  it('refuses a code whose step is not after the last used step (replay)', async () => {
    const code = await totp.codeAt(secret, t);
    const first = await totp.verify(secret, code, null);
    expect(first.ok).toBe(true);
    const step = first.ok ? first.step : -1;
    await expect(totp.verify(secret, code, step)).resolves.toEqual({
      ok: false,
      reason: 'MFA_CODE_REPLAYED',
    });
    // An older code inside the window is refused too; the next step's code is fine.
    const older = await totp.codeAt(secret, t - STEP);
    await expect(totp.verify(secret, older, step)).resolves.toMatchObject({ ok: false });
    t += STEP;
    await expect(totp.verify(secret, await totp.codeAt(secret, t), step)).resolves.toEqual({
      ok: true,
      step: step + 1,
    });
  });

  it('refuses input that is not six digits, and a wrong code', async () => {
    const code = await totp.codeAt(secret, t);
    for (const bad of ['', '12345', '1234567', 'abcdef', `${code}0`]) {
      await expect(totp.verify(secret, bad)).resolves.toEqual({
        ok: false,
        reason: 'MFA_CODE_INVALID',
      });
    }
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    await expect(totp.verify(secret, wrong)).resolves.toMatchObject({ ok: false });
    await expect(totp.verify(secret, ` ${code} `)).resolves.toMatchObject({ ok: true });
  });
});
