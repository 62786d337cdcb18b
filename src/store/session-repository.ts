import type { Kysely } from 'kysely';
import type {
  RefreshTokenRecord,
  RevokeReason,
  SessionRecord,
  SessionStore,
} from '../security/tokens/session-ports.js';
import type { RefreshTokensTable, Schema, SessionsTable } from './schema.js';

const ms = (v: string | number | bigint) => Number(v);
const msOrNull = (v: string | number | bigint | null) => (v === null ? null : Number(v));

/**
 * `SessionStore` in `sessions` and `refresh_tokens` (tokens only as SHA-256). Behaves exactly
 * like `MemorySessionStore`; the rotation is a conditional `UPDATE … WHERE rotated_at IS NULL`
 * under its row lock, so of two refreshes racing with one token exactly one wins.
 *
 * @example
 * const tokens = new TokenService({ ..., store: new SessionRepository(store.db) });
 */
export class SessionRepository implements SessionStore {
  constructor(private readonly db: Kysely<Schema>) {}

  async createSession(session: SessionRecord, first: RefreshTokenRecord): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('sessions')
        .values({
          session_id: session.sessionId,
          user_id: session.userId,
          created_at: session.createdAt,
          expires_at: session.expiresAt,
          revoked_at: session.revokedAt,
          revoked_reason: session.revokedReason,
        })
        .execute();
      await tx.insertInto('refresh_tokens').values(tokenRow(first)).execute();
    });
  }

  async findSession(sessionId: string): Promise<SessionRecord | null> {
    const r = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    return r ? toSession(r) : null;
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const r = await this.db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return r ? toToken(r) : null;
  }

  async rotateRefreshToken(
    oldHash: string,
    next: RefreshTokenRecord,
    atMs: number,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      // A racing rotation waits on this row's lock, then re-checks `rotated_at` and finds it set.
      const spent = await tx
        .updateTable('refresh_tokens')
        .set({ rotated_at: atMs })
        .where('token_hash', '=', oldHash)
        .where('rotated_at', 'is', null)
        .returning('token_hash')
        .executeTakeFirst();
      if (spent === undefined) return false;
      await tx.insertInto('refresh_tokens').values(tokenRow(next)).execute();
      return true;
    });
  }

  async revokeSession(sessionId: string, atMs: number, reason: RevokeReason): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ revoked_at: atMs, revoked_reason: reason })
      .where('session_id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async revokeUserSessions(
    userId: string,
    atMs: number,
    reason: RevokeReason,
  ): Promise<readonly string[]> {
    const rows = await this.db
      .updateTable('sessions')
      .set({ revoked_at: atMs, revoked_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .returning('session_id')
      .execute();
    return rows.map((r) => r.session_id);
  }
}

function tokenRow(t: RefreshTokenRecord): RefreshTokensTable {
  return {
    token_hash: t.tokenHash,
    session_id: t.sessionId,
    issued_at: t.issuedAt,
    rotated_at: t.rotatedAt,
  };
}

function toToken(r: RefreshTokensTable): RefreshTokenRecord {
  return {
    tokenHash: r.token_hash,
    sessionId: r.session_id,
    issuedAt: ms(r.issued_at),
    rotatedAt: msOrNull(r.rotated_at),
  };
}

function toSession(r: SessionsTable): SessionRecord {
  return {
    sessionId: r.session_id,
    userId: r.user_id,
    createdAt: ms(r.created_at),
    expiresAt: ms(r.expires_at),
    revokedAt: msOrNull(r.revoked_at),
    revokedReason: r.revoked_reason as RevokeReason | null,
  };
}
