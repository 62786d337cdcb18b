import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ROLES } from '../../security/roles/permissions.js';
import type { UserSummary } from '../../store/user-repository.js';
import type { TokenService } from '../../security/tokens/token-service.js';
import { actorOf } from '../authenticated-context.js';
import type { UserAdmin } from '../deps.js';
import { ProblemSchema, apiError } from '../problem.js';

/** A user as admins see one: no hash, no secret. */
const UserView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  mfa: Type.Union([Type.Literal('none'), Type.Literal('pending'), Type.Literal('confirmed')]),
  createdAt: Type.Integer(),
  disabledAt: Type.Union([Type.Integer(), Type.Null()]),
});

function userView(u: UserSummary) {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    status: u.disabledAt === null ? ('active' as const) : ('disabled' as const),
    mfa:
      u.totpConfirmedAt !== null
        ? ('confirmed' as const)
        : u.totpEnrolled
          ? ('pending' as const)
          : ('none' as const),
    createdAt: u.createdAt,
    disabledAt: u.disabledAt,
  };
}

const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };

/** What the user routes use. */
export interface UserRoutesOptions {
  readonly userAdmin: UserAdmin;
  /** Revokes the sessions of a disabled user. */
  readonly sessions: Pick<TokenService, 'revokeUser'>;
}

/**
 * Users (admins): list; create with a TOTP secret and recovery codes, shown once in the answer;
 * disable, which also revokes every session of the user at once.
 */
export const userRoutes: FastifyPluginAsync<UserRoutesOptions> = async (app, opts) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/users',
    {
      onRequest: app.requires('users:admin'),
      schema: {
        tags: ['users'],
        response: { 200: Type.Object({ users: Type.Array(UserView) }), ...Problems },
      },
    },
    async () => ({ users: (await opts.userAdmin.list()).map(userView) }),
  );

  r.post(
    '/users',
    {
      onRequest: app.requires('users:admin', { live: true }),
      schema: {
        tags: ['users'],
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 64 }),
            password: Type.String({ minLength: 1, maxLength: 512 }),
            role: Type.Union(ROLES.map((role) => Type.Literal(role))),
          },
          { additionalProperties: false },
        ),
        response: {
          // The second factor is shown here once; it cannot be read again.
          201: Type.Object({
            user: UserView,
            otpauthUri: Type.String(),
            secret: Type.String(),
            recoveryCodes: Type.Array(Type.String()),
          }),
          409: ProblemSchema,
          ...Problems,
        },
      },
    },
    async (req, reply) => {
      const made = await opts.userAdmin.create(req.body, actorOf(req.claims));
      return reply.code(201).send({
        user: userView(made.user),
        otpauthUri: made.otpauthUri,
        secret: made.secret,
        recoveryCodes: [...made.recoveryCodes],
      });
    },
  );

  r.post(
    '/users/:id/disable',
    {
      onRequest: app.requires('users:admin', { live: true }),
      // The reason is optional: no body at all is an empty one.
      preValidation: async (req) => void (req.body ??= {} as typeof req.body),
      schema: {
        tags: ['users'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        body: Type.Object(
          { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ user: UserView, sessionsRevoked: Type.Integer() }),
          404: ProblemSchema,
          409: ProblemSchema,
          ...Problems,
        },
      },
    },
    async (req) => {
      const claims = req.claims;
      if (req.params.id === claims.sub) {
        throw apiError('USER_SELF_DISABLE', 'id: you cannot disable your own account');
      }
      const user = await opts.userAdmin.disable(
        req.params.id,
        actorOf(claims),
        req.body.reason ?? null,
      );
      const sessionsRevoked = await opts.sessions.revokeUser(user.id, 'USER_DISABLED');
      return { user: userView(user), sessionsRevoked };
    },
  );
};
