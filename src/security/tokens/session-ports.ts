/**
 * Storage for sessions and their refresh tokens. The Postgres repository implements this in
 * `src/store`; `MemorySessionStore` is the reference behaviour. Only SHA-256 hashes of refresh
 * tokens are stored, never the tokens.
 */

/** Why a session ended early. */
export type RevokeReason =
  'LOGOUT' | 'ADMIN' | 'REFRESH_REUSED' | 'USER_DISABLED' | 'PASSWORD_CHANGED' | 'MFA_RESET';

/** One login: the family of refresh tokens that rotate from it. Times in ms. */
export interface SessionRecord {
  readonly sessionId: string;
  readonly userId: string;
  readonly createdAt: number;
  /** Absolute end: rotation does not extend it. */
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly revokedReason: RevokeReason | null;
}

/** One refresh token of a session. `rotatedAt` is set when it was exchanged for the next one. */
export interface RefreshTokenRecord {
  /** SHA-256 (hex) of the token: the lookup key. */
  readonly tokenHash: string;
  readonly sessionId: string;
  readonly issuedAt: number;
  readonly rotatedAt: number | null;
}

/** What `RefreshTokens` stores. */
export interface SessionStore {
  /** Inserts a new session with its first refresh token. */
  createSession(session: SessionRecord, first: RefreshTokenRecord): Promise<void>;
  findSession(sessionId: string): Promise<SessionRecord | null>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null>;
  /**
   * Atomically, in one transaction: sets `rotatedAt = atMs` on `oldHash` only if it is still
   * null, and if it was, inserts `next`. Answers whether it did (false: someone rotated it
   * first, which the caller treats as reuse). SQL: `UPDATE … SET rotated_at = $2 WHERE
   * token_hash = $1 AND rotated_at IS NULL` → one row, then `INSERT next`.
   */
  rotateRefreshToken(oldHash: string, next: RefreshTokenRecord, atMs: number): Promise<boolean>;
  /** Marks the session revoked (keeps the first time and reason if already revoked). */
  revokeSession(sessionId: string, atMs: number, reason: RevokeReason): Promise<void>;
  /** Revokes every unrevoked session of the user; answers their ids. */
  revokeUserSessions(
    userId: string,
    atMs: number,
    reason: RevokeReason,
  ): Promise<readonly string[]>;
}
