import { randomBytes } from 'node:crypto';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RefreshReusedError } from '../../security/tokens/refresh-tokens.js';
import { readJson, writeJson } from '../../scalability/cache/cache.js';
import { bearer } from '../auth-guard.js';
import type { ApiDeps, ApiUser } from '../deps.js';
import { ProblemSchema, apiError, sendProblem } from '../problem.js';

const CHALLENGE_TTL_MS = 5 * 60_000;
const Problem = ProblemSchema;
const Tokens = Type.Object({
  accessToken: Type.String(),
  accessExpiresAt: Type.Integer(),
  refreshToken: Type.String(),
  refreshExpiresAt: Type.Integer(),
});

/**
 * Login in two steps: the password (argon2id; an unknown user costs the same and gets the same
 * answer) gives a short-lived challenge; the challenge and a TOTP or recovery code give the
 * tokens. Then refresh (rotating) and logout.
 */
export async function authRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const failed = () => apiError('AUTH_FAILED', 'username or password is wrong');
  // Guessing is slowed per address on top of argon2's cost and the second factor's lockout,
  // keyed on what the server knows (the address), never on a token the client sends. A second
  // limit per username (login) or challenge (second factor) holds across addresses.
  const max = deps.rateLimit?.authPerMinute ?? 30;
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
  /** Audits a login step; the client's address goes in the payload, never a password or code. */
  const audit = (
    ip: string,
    action: string,
    subject: string,
    user: ApiUser | null,
    extra: Record<string, string> = {},
  ) =>
    deps.audit.append({
      ts: deps.now(),
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
      const user = await deps.users.byUsername(req.body.username);
      const ok = await deps.hasher.verifyOrDummy(user?.passwordHash, req.body.password);
      if (!user || !ok || user.disabled || !user.totpSecret) {
        await audit(req.ip, 'auth.login_failed', req.body.username.slice(0, 64), user);
        throw failed();
      }
      const challenge = randomBytes(32).toString('base64url');
      await writeJson(deps.challenges, `login:${challenge}`, { userId: user.id }, CHALLENGE_TTL_MS);
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
            challenge: Type.String({ minLength: 1, maxLength: 128 }),
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
      const pending = (await readJson(deps.challenges, key)) as { userId: string } | undefined;
      const user = pending ? await deps.users.byId(pending.userId) : null;
      if (!user || !user.totpSecret || user.disabled) {
        throw apiError('MFA_FAILED', 'the challenge is unknown or expired; log in again');
      }
      const result = req.body.recoveryCode
        ? await deps.mfa.useRecoveryCode(user.id, req.body.recoveryCode)
        : await deps.mfa.verifyTotp(user.id, user.totpSecret, req.body.code ?? '');
      if (!result.ok) {
        await audit(req.ip, 'auth.mfa_failed', user.id, user, { reason: result.reason });
        if (result.reason === 'MFA_LOCKED') {
          const seconds = Math.max(1, Math.ceil((result.retryAt - deps.now()) / 1000));
          reply.header('retry-after', String(seconds));
          return sendProblem(reply, 429, 'MFA_LOCKED', 'too many failed codes; try again later');
        }
        throw apiError('MFA_FAILED', 'the code is wrong or already used');
      }
      await deps.challenges.delete(key);
      if (result.method === 'totp') await deps.users.confirmSecondFactor(user.id);
      const pair = await deps.tokens.startSession(user.id, user.role);
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
        return await deps.tokens.refresh(req.body.refreshToken);
      } catch (e) {
        // A spent token presented again: the session is revoked; the log says whose and from where.
        if (e instanceof RefreshReusedError) {
          await deps.audit.append({
            ts: deps.now(),
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
      schema: {
        tags: ['auth'],
        response: { 204: { description: 'logged out; the session is revoked', type: 'null' } },
      },
    },
    async (req, reply) => {
      const claims = deps.tokens.verifyAccess(bearer(req));
      await deps.tokens.logout(claims.sid);
      await deps.audit.append({
        ts: deps.now(),
        actor: claims.sub,
        role: claims.role,
        action: 'auth.logout',
        subject: claims.sub,
        payload: { sessionId: claims.sid },
      });
      return reply.code(204).send(null);
    },
  );
}
