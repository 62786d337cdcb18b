import { randomBytes } from 'node:crypto';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { RefreshReusedError } from '../../security/tokens/refresh-tokens.js';
import { readJson, writeJson, type Cache } from '../../scalability/cache/cache.js';
import type { AuditEntry } from '../../security/audit/audit-record.js';
import type { PasswordHasher } from '../../security/passwords/password-hasher.js';
import type { TokenService } from '../../security/tokens/token-service.js';
import type { MfaVerifier } from '../../security/totp/mfa-verifier.js';
import type { ApiUser, UserDirectory } from '../deps.js';
import { ProblemSchema, apiError, sendProblem } from '../problem.js';

const CHALLENGE_TTL_MS = 5 * 60_000;
const Problem = ProblemSchema;
const Tokens = Type.Object({
  accessToken: Type.String(),
  accessExpiresAt: Type.Integer(),
  refreshToken: Type.String(),
  refreshExpiresAt: Type.Integer(),
});

/** What the login routes use. */
export interface AuthRoutesOptions {
  readonly users: UserDirectory;
  readonly hasher: Pick<PasswordHasher, 'verifyOrDummy'>;
  readonly mfa: Pick<MfaVerifier, 'verifyTotp' | 'useRecoveryCode'>;
  readonly tokens: Pick<TokenService, 'startSession' | 'refresh' | 'logout'>;
  /** Short-lived login challenges (between password and second factor). */
  readonly challenges: Cache;
  /** The audit log (logins, failures, logouts). */
  readonly audit: { append(entry: AuditEntry): Promise<unknown> };
  /** Wall-clock ms. */
  readonly now: () => number;
  /** Login and second-factor requests per minute per address, username and challenge (default 30). */
  readonly authPerMinute?: number;
}

/**
 * Login in two steps: the password (argon2id; an unknown user costs the same and gets the same
 * answer) gives a short-lived challenge; the challenge and a TOTP or recovery code give the
 * tokens. Then refresh (rotating) and logout.
 */
export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, opts) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const failed = () => apiError('AUTH_FAILED', 'username or password is wrong');
  // Guessing is slowed per address on top of argon2's cost and the second factor's lockout,
  // keyed on what the server knows (the address), never on a token the client sends. A second
  // limit per username (login) or challenge (second factor) holds across addresses.
  const max = opts.authPerMinute ?? 30;
  const limited = {
    rateLimit: { max, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => req.ip },
  };
  const perTarget = (name: string, target: (req: FastifyRequest) => string) =>
    app.rateLimit({
      max,
      timeWindow: 60_000,
      hook: 'preHandler',
      keyGenerator: (req) => `${name}:${target(req)}`,
    });
  const perUsername = perTarget('login-user', (req) =>
    String((req.body as { username?: unknown }).username).toLowerCase(),
  );
  const perChallenge = perTarget('mfa-challenge', (req) =>
    String((req.body as { challenge?: unknown }).challenge),
  );
  /**
   * One audit row per lock, not per refused attempt: a brute force sends thousands of codes
   * during a lock, and each would otherwise cost a row of the chain (the request log still has
   * every request). The key is the lock's end, which stays fixed while it lasts; the cache is
   * shared, so every instance writes the one row between them.
   */
  const firstRefusalOfLock = (userId: string, retryAt: number) =>
    opts.challenges.add(
      `mfa-locked:${userId}:${retryAt}`,
      '1',
      Math.max(1_000, retryAt - opts.now()),
    );
  /** Audits a login step; the client's address goes in the payload, never a password or code. */
  const audit = (
    ip: string,
    action: string,
    subject: string,
    user: ApiUser | null,
    extra: Record<string, string> = {},
  ) =>
    opts.audit.append({
      ts: opts.now(),
      actor: user?.username ?? 'anonymous',
      role: user?.role ?? 'none',
      action,
      subject,
      payload: { ip, ...extra },
    });

  r.post(
    '/auth/login',
    {
      config: limited,
      preHandler: perUsername,
      schema: {
        tags: ['auth'],
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 64 }),
            password: Type.String({ minLength: 1, maxLength: 512 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ challenge: Type.String() }), 401: Problem },
      },
    },
    async (req) => {
      const user = await opts.users.byUsername(req.body.username);
      const ok = await opts.hasher.verifyOrDummy(user?.passwordHash, req.body.password);
      if (!user || !ok || user.disabled || !user.totpSecret) {
        await audit(req.ip, 'auth.login_failed', req.body.username.slice(0, 64), user);
        throw failed();
      }
      const challenge = randomBytes(32).toString('base64url');
      await writeJson(opts.challenges, `login:${challenge}`, { userId: user.id }, CHALLENGE_TTL_MS);
      return { challenge };
    },
  );

  r.post(
    '/auth/mfa',
    {
      config: limited,
      preHandler: perChallenge,
      schema: {
        tags: ['auth'],
        body: Type.Object(
          {
            // As `/auth/login` makes them (base64url): any other string is no challenge, and
            // would not be a key of the challenge cache either (CACHE_KEY_INVALID, a 400 not
            // in the catalogue, before this pattern).
            challenge: Type.String({
              pattern: '^[A-Za-z0-9_-]{1,128}$',
              description: 'the challenge `/auth/login` answered: 1-128 of A-Z a-z 0-9 _ -',
            }),
            code: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
            recoveryCode: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Tokens, 401: Problem, 429: Problem },
      },
    },
    async (req, reply) => {
      const key = `login:${req.body.challenge}`;
      const pending = (await readJson(opts.challenges, key)) as { userId: string } | undefined;
      const user = pending ? await opts.users.byId(pending.userId) : null;
      if (!user || !user.totpSecret || user.disabled) {
        throw apiError('MFA_FAILED', 'the challenge is unknown or expired; log in again');
      }
      const result = req.body.recoveryCode
        ? await opts.mfa.useRecoveryCode(user.id, req.body.recoveryCode)
        : await opts.mfa.verifyTotp(user.id, user.totpSecret, req.body.code ?? '');
      if (!result.ok) {
        if (result.reason !== 'MFA_LOCKED') {
          await audit(req.ip, 'auth.mfa_failed', user.id, user, { reason: result.reason });
        } else if (await firstRefusalOfLock(user.id, result.retryAt)) {
          await audit(req.ip, 'auth.mfa_failed', user.id, user, {
            reason: result.reason,
            lockedUntil: new Date(result.retryAt).toISOString(),
          });
        }
        if (result.reason === 'MFA_LOCKED') {
          const seconds = Math.max(1, Math.ceil((result.retryAt - opts.now()) / 1000));
          reply.header('retry-after', String(seconds));
          return sendProblem(reply, 'MFA_LOCKED', 'too many failed codes; try again later');
        }
        throw apiError('MFA_FAILED', 'the code is wrong or already used');
      }
      await opts.challenges.delete(key);
      if (result.method === 'totp') await opts.users.confirmSecondFactor(user.id);
      const pair = await opts.tokens.startSession(user.id, user.role);
      await audit(req.ip, 'auth.login', user.id, user, { sessionId: pair.sessionId });
      return pair; // the response schema leaves out the session id
    },
  );

  r.post(
    '/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        body: Type.Object(
          { refreshToken: Type.String({ minLength: 1, maxLength: 256 }) },
          { additionalProperties: false },
        ),
        response: { 200: Tokens, 401: Problem },
      },
    },
    async (req) => {
      try {
        return await opts.tokens.refresh(req.body.refreshToken);
      } catch (e) {
        // A spent token presented again: the session is revoked; the log says whose and from where.
        if (e instanceof RefreshReusedError) {
          await opts.audit.append({
            ts: opts.now(),
            actor: e.userId,
            role: 'none',
            action: 'auth.refresh_reused',
            subject: e.userId,
            payload: { ip: req.ip, sessionId: e.sessionId },
          });
        }
        throw e;
      }
    },
  );

  r.post(
    '/auth/logout',
    {
      // After validation, as the handler did before: a guard with no permission.
      preHandler: app.authenticated(),
      schema: {
        tags: ['auth'],
        response: { 204: { description: 'logged out; the session is revoked', type: 'null' } },
      },
    },
    async (req, reply) => {
      const { claims } = req;
      await opts.tokens.logout(claims.sid);
      await opts.audit.append({
        ts: opts.now(),
        actor: claims.sub,
        role: claims.role,
        action: 'auth.logout',
        subject: claims.sub,
        payload: { sessionId: claims.sid },
      });
      return reply.code(204).send(null);
    },
  );
};
