import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { KairosError } from '../../trading/core/errors.js';
import type { RevokeReason, SessionRecord, SessionStore } from './session-ports.js';

/** Default (and suggested maximum) session lifetime: 12 hours, absolute. */
export const SESSION_DEFAULT_TTL_MS = 12 * 60 * 60_000;

// `krt_` makes a leaked token easy to spot (secret scanners, logs); then 256 random bits.
const PREFIX = 'krt_';
const SHAPE = /^krt_[A-Za-z0-9_-]{43}$/;

/** Settings for `RefreshTokens`. */
export interface RefreshTokenConfig {
  readonly store: SessionStore;
  /** Wall-clock ms. */
  readonly now: () => number;
  /** Session lifetime from login; rotation does not extend it (default 12 h). */
  readonly sessionTtlMs?: number;
}

/** A session and the refresh token that currently continues it (show it once; never store it). */
export interface IssuedRefreshToken {
  readonly session: SessionRecord;
  readonly refreshToken: string;
}

/** SHA-256 (hex) of a refresh token: its stored form. */
export function refreshTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** `AUTH_REFRESH_REUSED`: a spent refresh token came back; its session is revoked now. */
export class RefreshReusedError extends KairosError {
  constructor(
    readonly sessionId: string,
    readonly userId: string,
  ) {
    super('AUTH_REFRESH_REUSED', 'refresh token: already used; the session is revoked');
  }
}

/**
 * Opaque refresh tokens (`krt_` + 256 random bits, base64url), stored only as SHA-256 hashes
 * (a fast hash is enough for 256 random bits). Each login starts a session; each refresh
 * exchanges the token for a new one (rotation). Presenting an already exchanged token again
 * means it was copied: the whole session is revoked (`AUTH_REFRESH_REUSED`), so the thief's
 * and the user's tokens all stop. Clients must therefore never refresh twice in parallel.
 *
 * @example
 * const { session, refreshToken } = await refresh.start(user.id);
 * const next = await refresh.rotate(refreshToken); // the old token is now spent
 */
export class RefreshTokens {
  readonly sessionTtlMs: number;

  constructor(private readonly config: RefreshTokenConfig) {
    const ttl = config.sessionTtlMs ?? SESSION_DEFAULT_TTL_MS;
    if (!Number.isInteger(ttl) || ttl <= 0) {
      throw new KairosError('CONFIG_INVALID', 'session TTL: must be a positive integer of ms');
    }
    this.sessionTtlMs = ttl;
  }

  /** Starts a session for `userId` (at login, after the second factor). */
  async start(userId: string): Promise<IssuedRefreshToken> {
    const now = this.config.now();
    const refreshToken = newToken();
    const session: SessionRecord = {
      sessionId: randomUUID(),
      userId,
      createdAt: now,
      expiresAt: now + this.sessionTtlMs,
      revokedAt: null,
      revokedReason: null,
    };
    await this.config.store.createSession(session, {
      tokenHash: refreshTokenHash(refreshToken),
      sessionId: session.sessionId,
      issuedAt: now,
      rotatedAt: null,
    });
    return { session, refreshToken };
  }

  /**
   * Exchanges a refresh token for the next one. Throws `AUTH_INVALID_TOKEN` (unknown or
   * malformed), `AUTH_SESSION_REVOKED`, `AUTH_TOKEN_EXPIRED` (session over) or
   * `AUTH_REFRESH_REUSED` (already exchanged: the session is revoked now).
   */
  async rotate(refreshToken: string): Promise<IssuedRefreshToken> {
    const { store, now } = this.config;
    if (typeof refreshToken !== 'string' || !SHAPE.test(refreshToken)) {
      throw new KairosError('AUTH_INVALID_TOKEN', 'refresh token: malformed');
    }
    const oldHash = refreshTokenHash(refreshToken);
    const record = await store.findRefreshToken(oldHash);
    if (record === null) throw new KairosError('AUTH_INVALID_TOKEN', 'refresh token: unknown');
    const session = await this.usable(record.sessionId);
    const at = now();
    const reused = async () => {
      await store.revokeSession(session.sessionId, at, 'REFRESH_REUSED');
      return new RefreshReusedError(session.sessionId, session.userId);
    };
    // Stryker disable next-line ConditionalExpression: equivalent, the store refuses to rotate a spent token, which is reuse too
    if (record.rotatedAt !== null) throw await reused();
    const next = newToken();
    const rotated = await store.rotateRefreshToken(
      oldHash,
      {
        tokenHash: refreshTokenHash(next),
        sessionId: session.sessionId,
        issuedAt: at,
        rotatedAt: null,
      },
      at,
    );
    if (!rotated) throw await reused();
    return { session, refreshToken: next };
  }

  /** The session if it is neither revoked nor over; otherwise throws (see `rotate`). */
  async usable(sessionId: string): Promise<SessionRecord> {
    const session = await this.config.store.findSession(sessionId);
    if (session === null || session.revokedAt !== null) {
      throw new KairosError('AUTH_SESSION_REVOKED', 'session: revoked or unknown');
    }
    if (this.config.now() >= session.expiresAt) {
      throw new KairosError('AUTH_TOKEN_EXPIRED', 'session: expired; log in again');
    }
    return session;
  }

  /** Ends one session (logout, an admin, reuse). Idempotent. */
  revokeSession(sessionId: string, reason: RevokeReason): Promise<void> {
    return this.config.store.revokeSession(sessionId, this.config.now(), reason);
  }

  /** Ends every session of a user (role change, disable, password or MFA reset); answers their ids. */
  revokeUser(userId: string, reason: RevokeReason): Promise<readonly string[]> {
    return this.config.store.revokeUserSessions(userId, this.config.now(), reason);
  }
}

function newToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}
