import { KairosError } from '../../trading/core/errors.js';
import type { Role } from '../roles/permissions.js';
import { AccessTokens } from './access-tokens.js';
import type { AccessClaims } from './access-tokens.js';
import { RefreshReusedError, RefreshTokens } from './refresh-tokens.js';
import type { RevokeReason, SessionStore } from './session-ports.js';
import type { SigningKeys } from './signing-keys.js';

/** What a client gets at login and at each refresh. Times in ms. */
export interface TokenPair {
  readonly accessToken: string;
  readonly accessExpiresAt: number;
  readonly refreshToken: string;
  readonly refreshExpiresAt: number;
  readonly sessionId: string;
}

/**
 * Where sessions found live are remembered for `liveCheckMs` (the subset of the scalability
 * layer's `Cache` the service uses). Shared by every instance (Redis) in a deployment of
 * several, so a revocation on one refuses writes on all at once; a process's memory for one.
 */
export interface LiveSessionCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Stores only where the key holds nothing; answers whether it did (atomic on the server). */
  add(key: string, value: string, ttlMs: number): Promise<boolean>;
}

/** Settings and ports for `TokenService`. */
export interface TokenServiceConfig {
  readonly keys: SigningKeys;
  readonly store: SessionStore;
  /** Wall-clock ms. */
  readonly now: () => number;
  /** `iss` of every access token, e.g. `kairos`. */
  readonly issuer: string;
  /** `aud` of every access token, e.g. `kairos-api`. */
  readonly audience: string;
  /** The user's role now, or `null` if the user is gone or disabled (read at each refresh). */
  readonly roleOf: (userId: string) => Promise<Role | null>;
  /** Access-token lifetime, ≤ 10 min (default 5 min). */
  readonly accessTtlMs?: number;
  /** Session lifetime from login (default 12 h). */
  readonly sessionTtlMs?: number;
  /**
   * How long a session found live is trusted by `verifyAccessLive` before the store is asked
   * again (default 0: every time). A revocation made through any service sharing `liveCache`
   * applies at once.
   */
  readonly liveCheckMs?: number;
  /** Where sessions found live are remembered; required when `liveCheckMs` is set. */
  readonly liveCache?: LiveSessionCache;
}

const LIVE = 'live';
const REVOKED = 'revoked';
const liveKey = (sessionId: string) => `session-live:${sessionId}`;

/**
 * Sessions for the API: a short-lived ES256 access token plus a rotating opaque refresh token
 * per login. Reads may trust the access token alone (`verifyAccess`); state-changing requests
 * also check the session is still live (`verifyAccessLive`), so a revoked session stops
 * writing at once rather than when its access token expires. A role change applies at the
 * next refresh (≤ the access TTL); revoke the user's sessions to apply it at once.
 *
 * @example
 * const tokens = new TokenService({ keys, store, now, issuer: 'kairos', audience: 'kairos-api',
 *   roleOf: async (id) => (await users.find(id))?.role ?? null });
 * const pair = await tokens.startSession(user.id, user.role);   // after password + TOTP
 * const claims = await tokens.verifyAccessLive(bearer);         // on POST /orders
 * const next = await tokens.refresh(pair.refreshToken);
 */
export class TokenService {
  readonly access: AccessTokens;
  readonly refreshTokens: RefreshTokens;
  /** Sessions found live (`live`) or revoked (`revoked`, a tombstone), when `liveCheckMs` is set. */
  private readonly liveCache: LiveSessionCache | undefined;
  /**
   * The store reads of sessions' liveness under way (with `liveCheckMs`), by session id: one per
   * session at a time, shared by the checks that find no mark meanwhile. Each leaves when it
   * settles, so it holds at most the sessions being read now.
   */
  readonly #reading = new Map<string, { from: number; done: Promise<void> }>();

  constructor(private readonly config: TokenServiceConfig) {
    if ((config.liveCheckMs ?? 0) > 0 && !config.liveCache) {
      throw new KairosError('CONFIG_INVALID', 'token service: liveCheckMs needs a liveCache');
    }
    this.liveCache = config.liveCache;
    this.access = new AccessTokens({ ...config, ttlMs: config.accessTtlMs });
    this.refreshTokens = new RefreshTokens({ ...config, sessionTtlMs: config.sessionTtlMs });
  }

  /** Starts a session after a complete login (password and second factor). */
  async startSession(userId: string, role: Role): Promise<TokenPair> {
    const { session, refreshToken } = await this.refreshTokens.start(userId);
    return this.pair(session.sessionId, session.expiresAt, userId, role, refreshToken);
  }

  /**
   * Rotates the refresh token and signs a new access token with the user's current role.
   * Throws like `RefreshTokens.rotate`, and `AUTH_SESSION_REVOKED` (revoking the session)
   * when the user no longer has a role.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    let rotated;
    try {
      rotated = await this.refreshTokens.rotate(refreshToken);
    } catch (e) {
      // Revoked by reuse: forget that the session was found live, so its access tokens stop
      // writing now, not when the live-check cache would have expired.
      if (e instanceof RefreshReusedError) await this.forgetLive([e.sessionId]);
      throw e;
    }
    const { session, refreshToken: next } = rotated;
    const role = await this.config.roleOf(session.userId);
    if (role === null) {
      await this.refreshTokens.revokeSession(session.sessionId, 'USER_DISABLED');
      await this.forgetLive([session.sessionId]);
      throw new KairosError('AUTH_SESSION_REVOKED', 'session: the user is disabled');
    }
    return this.pair(session.sessionId, session.expiresAt, session.userId, role, next);
  }

  /** The claims of a valid access token (no storage read): for read-only requests. */
  verifyAccess(token: string): AccessClaims {
    return this.access.verify(token);
  }

  /**
   * `verifyAccess`, then checks the session is neither revoked nor over: for requests that
   * change state (orders, limits, keys, users). Throws `AUTH_SESSION_REVOKED`.
   */
  async verifyAccessLive(token: string): Promise<AccessClaims> {
    const claims = this.access.verify(token);
    const ttl = this.config.liveCheckMs ?? 0;
    const cache = ttl > 0 ? this.liveCache : undefined;
    if (!cache) {
      await this.refreshTokens.usable(claims.sid);
      return claims;
    }
    const mark = await cache.get(liveKey(claims.sid));
    if (mark === LIVE) return claims;
    // No mark at all: a store read of this session begun less than `ttl` ago answers for this
    // check too (when a session's mark lapses, every request in flight would otherwise read the
    // store at once). It cannot predate a revocation finished before this check: that
    // revocation's tombstone (2 × ttl) would still be in the cache. A tombstone: read anew.
    const reading = mark === undefined ? this.#reading.get(claims.sid) : undefined;
    if (reading && this.config.now() - reading.from < ttl) {
      await reading.done;
      return claims;
    }
    const done = this.#readLive(claims.sid, ttl, cache);
    this.#reading.set(claims.sid, { from: this.config.now(), done });
    try {
      await done;
    } finally {
      if (this.#reading.get(claims.sid)?.done === done) this.#reading.delete(claims.sid);
    }
    return claims;
  }

  /** Reads the session from the store; marks it live when it is usable, else throws. */
  async #readLive(sessionId: string, ttl: number, cache: LiveSessionCache): Promise<void> {
    await this.refreshTokens.usable(sessionId);
    // `add`, not `set`: a revocation's tombstone written since the store was read wins.
    await cache.add(liveKey(sessionId), LIVE, ttl);
  }

  /** Logs a session out. */
  async logout(sessionId: string): Promise<void> {
    await this.refreshTokens.revokeSession(sessionId, 'LOGOUT');
    await this.forgetLive([sessionId]);
  }

  /** Revokes one session (an admin, incident response). */
  async revokeSession(sessionId: string, reason: RevokeReason = 'ADMIN'): Promise<void> {
    await this.refreshTokens.revokeSession(sessionId, reason);
    await this.forgetLive([sessionId]);
  }

  /** Revokes every session of a user; answers how many. */
  async revokeUser(userId: string, reason: RevokeReason): Promise<number> {
    const revoked = await this.refreshTokens.revokeUser(userId, reason);
    await this.forgetLive(revoked);
    return revoked.length;
  }

  /**
   * After the store revoked them: a tombstone over each session's live mark, for twice the
   * trust time, so no instance trusts them again and a check that read the store just before
   * the revocation cannot mark them live again (its `add` finds the tombstone).
   */
  private async forgetLive(sessionIds: readonly string[]): Promise<void> {
    const ttl = this.config.liveCheckMs ?? 0;
    if (ttl <= 0 || !this.liveCache) return;
    for (const id of sessionIds) await this.liveCache.set(liveKey(id), REVOKED, 2 * ttl);
  }

  private pair(
    sessionId: string,
    sessionEnd: number,
    userId: string,
    role: Role,
    refreshToken: string,
  ): TokenPair {
    const { token, expiresAt } = this.access.sign(
      { sub: userId, role, sid: sessionId },
      sessionEnd,
    );
    return {
      accessToken: token,
      accessExpiresAt: expiresAt,
      refreshToken,
      refreshExpiresAt: sessionEnd,
      sessionId,
    };
  }
}
