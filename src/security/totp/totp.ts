import { generate, generateSecret, generateURI, verify } from 'otplib';

/** Seconds per TOTP time step (RFC 6238 default, what authenticator apps use). */
export const TOTP_PERIOD_S = 30;
/** Random bytes in a new secret: 20 bytes = 160 bits (RFC 4226 §4 recommends 160). */
export const TOTP_SECRET_BYTES = 20;

/** Why a code was refused. */
export type TotpFailure = 'MFA_CODE_INVALID' | 'MFA_CODE_REPLAYED';

/** The outcome of checking one code: the time step it matched, or why it failed. */
export type TotpCheck = { ok: true; step: number } | { ok: false; reason: TotpFailure };

/**
 * RFC 6238 TOTP (HMAC-SHA-1, 6 digits, 30 s) through otplib, with time from an injected clock.
 * Accepts the current step and one step either side (±30 s of drift), and only steps strictly
 * after `lastUsedStep`, so an accepted code is never accepted again (RFC 6238 §5.2).
 *
 * @example
 * const totp = new Totp(() => clock.now());
 * const secret = totp.generateSecret(); // store encrypted
 * const uri = totp.keyUri(secret, 'alice@example.com'); // show as a QR code
 * const r = await totp.verify(secret, '123456', user.lastTotpStep);
 * if (r.ok) await saveLastStep(user.id, r.step);
 */
export class Totp {
  /**
   * @param now wall-clock milliseconds since the epoch (the server's, never the client's)
   * @param issuer shown in authenticator apps
   */
  constructor(
    private readonly now: () => number,
    readonly issuer = 'Kairos',
  ) {}

  /** A new base32 secret of 160 random bits from a CSPRNG. */
  generateSecret(): string {
    // Stryker disable next-line ObjectLiteral: equivalent, otplib's default is also 20 bytes (the length is pinned here on purpose)
    return generateSecret({ length: TOTP_SECRET_BYTES });
  }

  /** The `otpauth://totp/Kairos:<account>?secret=…&issuer=Kairos` URI to show as a QR code. */
  keyUri(secret: string, accountName: string): string {
    return generateURI({ issuer: this.issuer, label: accountName, secret });
  }

  /** The step number at time `ms`. */
  stepAt(ms: number): number {
    return Math.floor(ms / 1000 / TOTP_PERIOD_S);
  }

  /** The code for the step containing `ms` (default: now). For enrolment checks and tests. */
  codeAt(secret: string, ms: number = this.now()): Promise<string> {
    return generate({ secret, epoch: this.stepAt(ms) * TOTP_PERIOD_S });
  }

  /**
   * Checks `code` at the current time. `ok` carries the matched step: store it as the user's
   * last used step (atomically: only if greater than the stored one). A code that matches only
   * at or before `lastUsedStep` is `MFA_CODE_REPLAYED`; anything else that fails is
   * `MFA_CODE_INVALID` (including input that is not six digits).
   */
  async verify(secret: string, code: string, lastUsedStep?: number | null): Promise<TotpCheck> {
    const token = code.trim();
    if (!/^\d{6}$/.test(token)) return { ok: false, reason: 'MFA_CODE_INVALID' };
    const base = {
      secret,
      token,
      epoch: Math.floor(this.now() / 1000),
      epochTolerance: TOTP_PERIOD_S,
    };
    const last = lastUsedStep ?? undefined;
    // Stryker disable next-line ConditionalExpression: equivalent, otplib ignores an undefined afterTimeStep
    const r = await verify(last === undefined ? base : { ...base, afterTimeStep: last });
    if (r.valid && 'timeStep' in r) return { ok: true, step: r.timeStep };
    // Stryker disable next-line ConditionalExpression: equivalent, with no last step the second check repeats the first (invalid)
    if (last !== undefined && (await verify(base)).valid) {
      return { ok: false, reason: 'MFA_CODE_REPLAYED' };
    }
    return { ok: false, reason: 'MFA_CODE_INVALID' };
  }
}
