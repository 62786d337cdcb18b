import jwt from 'jsonwebtoken';
import type { JwtPayload } from 'jsonwebtoken';
import { KairosError } from '../../trading/core/errors.js';
import { isRole } from '../roles/permissions.js';
import type { Role } from '../roles/permissions.js';
import { SIGNING_ALGORITHM } from './signing-keys.js';
import type { SigningKeys } from './signing-keys.js';

/** Default access-token lifetime: 5 minutes. */
export const ACCESS_TOKEN_DEFAULT_TTL_MS = 5 * 60_000;
/** Longest access-token lifetime allowed: 10 minutes. */
export const ACCESS_TOKEN_MAX_TTL_MS = 10 * 60_000;
/** The JOSE header `typ` of an access token (RFC 9068). */
export const ACCESS_TOKEN_HEADER_TYP = 'at+jwt';

/** The verified claims of an access token. Times are seconds since the epoch (JWT). */
export interface AccessClaims {
  readonly iss: string;
  readonly aud: string;
  /** The user id. */
  readonly sub: string;
  readonly role: Role;
  /** The session (refresh-token family) id; revoking it stops the token on write endpoints. */
  readonly sid: string;
  readonly typ: 'access';
  readonly iat: number;
  readonly exp: number;
}

/** Settings for `AccessTokens`. */
export interface AccessTokenConfig {
  readonly keys: SigningKeys;
  /** Wall-clock ms. */
  readonly now: () => number;
  readonly issuer: string;
  readonly audience: string;
  /** Lifetime in ms, whole seconds, at most `ACCESS_TOKEN_MAX_TTL_MS` (default 5 min). */
  readonly ttlMs?: number;
}

/**
 * Signs and verifies short-lived ES256 access tokens. Verification pins the algorithm, takes
 * the key only from `SigningKeys` by `kid`, checks the signature before any claim, and then
 * requires the exact issuer, audience, `typ` (header `at+jwt`, claim `access`), `exp` in the
 * future, `nbf` (if any) in the past and a known role. Every refusal is a `KairosError`:
 * `AUTH_TOKEN_EXPIRED` for an expired token, `AUTH_INVALID_TOKEN` for everything else.
 *
 * @example
 * const access = new AccessTokens({ keys, now, issuer: 'kairos', audience: 'kairos-api' });
 * const { token } = access.sign({ sub: user.id, role: user.role, sid });
 * const claims = access.verify(bearerToken); // throws KairosError
 */
export class AccessTokens {
  readonly ttlMs: number;
  /**
   * Tokens whose signature was verified, with their claims: ES256 verification is the costliest
   * step of an authenticated request, and a client sends the same token for minutes. A hit is
   * still checked against the clock (`nbf`/`iat`, `exp`) and the key ring (a retired `kid`
   * refuses it), so it answers exactly what a full verification would. Bounded.
   */
  readonly #verified = new Map<string, { claims: AccessClaims; kid: string; from: number }>();

  constructor(private readonly config: AccessTokenConfig) {
    const ttl = config.ttlMs ?? ACCESS_TOKEN_DEFAULT_TTL_MS;
    if (!Number.isInteger(ttl / 1000) || ttl < 1000 || ttl > ACCESS_TOKEN_MAX_TTL_MS) {
      throw new KairosError(
        'CONFIG_INVALID',
        `access token TTL: must be whole seconds between 1 s and ${ACCESS_TOKEN_MAX_TTL_MS / 60_000} min`,
      );
    }
    this.ttlMs = ttl;
  }

  /**
   * A signed access token for a user in a session, and when it expires (ms): after the TTL,
   * or at `notAfter` (ms, the session's end) if that is sooner.
   */
  sign(
    subject: { sub: string; role: Role; sid: string },
    notAfter: number = Infinity,
  ): { token: string; expiresAt: number } {
    const iat = Math.floor(this.config.now() / 1000);
    const exp = Math.min(iat + this.ttlMs / 1000, Math.floor(notAfter / 1000));
    const key = this.config.keys.current();
    const payload = { ...subject, typ: 'access', iat, exp };
    const token = jwt.sign(payload, key.privateKey, {
      algorithm: SIGNING_ALGORITHM,
      keyid: key.kid,
      issuer: this.config.issuer,
      audience: this.config.audience,
      header: { alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_HEADER_TYP, kid: key.kid },
    });
    return { token, expiresAt: exp * 1000 };
  }

  /** The claims of a valid access token; throws `AUTH_INVALID_TOKEN` / `AUTH_TOKEN_EXPIRED`. */
  verify(token: string): AccessClaims {
    const { keys, issuer, audience, now } = this.config;
    if (typeof token !== 'string' || token.length > 4096) throw invalid('malformed');
    const hit = this.#verified.get(token);
    // Stryker disable next-line BlockStatement: equivalent, the remembered answer is a full verification's (property-tested); it only saves work
    if (hit !== undefined) {
      // Stryker disable next-line ArithmeticOperator: equivalent, a wrong clock here only sends the token to a full verification
      const nowS = Math.floor(now() / 1000);
      // Stryker disable next-line EqualityOperator,ConditionalExpression: equivalent, at exactly `from` (or never) a full verification gives the same answer
      const started = nowS >= hit.from;
      if (started && nowS < hit.claims.exp && keys.verificationKey(hit.kid) !== undefined)
        return hit.claims;
      this.#verified.delete(token); // verified again below: it says why it is refused now
    }
    const decoded = jwt.decode(token, { complete: true });
    if (decoded === null || typeof decoded.payload === 'string') throw invalid('malformed');
    const { alg, typ, kid } = decoded.header;
    if (alg !== SIGNING_ALGORITHM) throw invalid(`algorithm ${String(alg)} is not accepted`);
    if (typ !== ACCESS_TOKEN_HEADER_TYP) {
      throw invalid(`header typ must be ${ACCESS_TOKEN_HEADER_TYP}`);
    }
    if (typeof kid !== 'string') throw invalid('no kid');
    const key = keys.verificationKey(kid);
    if (key === undefined) throw invalid('unknown or retired kid');
    const nowS = Math.floor(now() / 1000);
    let p: JwtPayload;
    try {
      p = jwt.verify(token, key, {
        algorithms: [SIGNING_ALGORITHM],
        issuer,
        audience,
        clockTimestamp: nowS,
        clockTolerance: 0,
      }) as JwtPayload;
    } catch (cause) {
      if (cause instanceof jwt.TokenExpiredError) {
        throw new KairosError('AUTH_TOKEN_EXPIRED', 'access token: expired', { cause });
      }
      // Stryker disable next-line StringLiteral: unreachable, jsonwebtoken throws only Error instances
      throw invalid(cause instanceof Error ? cause.message : 'verification failed', cause);
    }
    // The signature is good; now the contents.
    if (p.typ !== 'access') throw invalid('typ must be access');
    if (p.aud !== audience) throw invalid('aud must be exactly the API audience');
    if (typeof p.sub !== 'string' || p.sub === '') throw invalid('no sub');
    if (typeof p.sid !== 'string' || p.sid === '') throw invalid('no sid');
    if (!isRole(p.role)) throw invalid('unknown role');
    if (typeof p.iat !== 'number' || typeof p.exp !== 'number') throw invalid('no iat or exp');
    if (p.iat > nowS) throw invalid('issued in the future');
    if (p.exp - p.iat > ACCESS_TOKEN_MAX_TTL_MS / 1000) throw invalid('lifetime over the maximum');
    const claims: AccessClaims = {
      iss: issuer,
      aud: audience,
      sub: p.sub,
      role: p.role,
      sid: p.sid,
      typ: 'access',
      iat: p.iat,
      exp: p.exp,
    };
    // Stryker disable next-line ConditionalExpression,EqualityOperator: memory only, the bound keeps the remembered tokens few; answers are a full verification's either way
    if (this.#verified.size >= 10_000) this.#verified.clear();
    const from = Math.max(p.iat, typeof p.nbf === 'number' ? p.nbf : p.iat);
    this.#verified.set(token, { claims: Object.freeze(claims), kid, from });
    return claims;
  }
}

function invalid(why: string, cause?: unknown): KairosError {
  return new KairosError('AUTH_INVALID_TOKEN', `access token: ${why}`, { cause });
}
