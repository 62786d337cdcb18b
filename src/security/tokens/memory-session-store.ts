import type {
  RefreshTokenRecord,
  RevokeReason,
  SessionRecord,
  SessionStore,
} from './session-ports.js';

/**
 * `SessionStore` in memory: for tests and a single-process dev server, and the reference for
 * what the port means.
 *
 * @example
 * const tokens = new TokenService({ ..., store: new MemorySessionStore() });
 */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly tokens = new Map<string, RefreshTokenRecord>();

  async createSession(session: SessionRecord, first: RefreshTokenRecord): Promise<void> {
    this.sessions.set(session.sessionId, session);
    this.tokens.set(first.tokenHash, first);
  }

  async findSession(sessionId: string): Promise<SessionRecord | null> {
    return this.sessions.get(sessionId) ?? null;
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    return this.tokens.get(tokenHash) ?? null;
  }

  async rotateRefreshToken(
    oldHash: string,
    next: RefreshTokenRecord,
    atMs: number,
  ): Promise<boolean> {
    const old = this.tokens.get(oldHash);
    if (old === undefined || old.rotatedAt !== null) return false;
    this.tokens.set(oldHash, { ...old, rotatedAt: atMs });
    this.tokens.set(next.tokenHash, next);
    return true;
  }

  async revokeSession(sessionId: string, atMs: number, reason: RevokeReason): Promise<void> {
    const s = this.sessions.get(sessionId);
    if (s !== undefined && s.revokedAt === null) {
      this.sessions.set(sessionId, { ...s, revokedAt: atMs, revokedReason: reason });
    }
  }

  async revokeUserSessions(
    userId: string,
    atMs: number,
    reason: RevokeReason,
  ): Promise<readonly string[]> {
    const revoked: string[] = [];
    for (const s of this.sessions.values()) {
      if (s.userId === userId && s.revokedAt === null) {
        await this.revokeSession(s.sessionId, atMs, reason);
        revoked.push(s.sessionId);
      }
    }
    return revoked;
  }
}
