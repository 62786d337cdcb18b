import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { CredentialSummary } from '../../store/credential-repository.js';
import { actorOf } from '../authenticated-context.js';
import type { CredentialStore } from '../deps.js';
import { ProblemSchema, apiError } from '../problem.js';

/** A credential as its owner sees it: metadata only, never a secret (write-only). */
const CredentialView = Type.Object({
  id: Type.String(),
  venue: Type.String(),
  label: Type.String(),
  hasPassphrase: Type.Boolean(),
  createdAt: Type.Integer(),
});

function credentialView(c: CredentialSummary) {
  return {
    id: c.id,
    venue: c.venue,
    label: c.label,
    hasPassphrase: c.hasPassphrase,
    createdAt: c.createdAt,
  };
}

const Secret = Type.String({ minLength: 1, maxLength: 4096 });
const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };

/** What the credential routes use. */
export interface CredentialRoutesOptions {
  readonly credentials: CredentialStore;
}

/**
 * Venue credentials, write-only: add (encrypted at rest; the answer is metadata), list your own,
 * delete your own. Another user's credential is not found.
 */
export const credentialRoutes: FastifyPluginAsync<CredentialRoutesOptions> = async (app, opts) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/credentials',
    {
      onRequest: app.requires('credentials:write', { live: true }),
      schema: {
        tags: ['credentials'],
        body: Type.Object(
          {
            venue: Type.String({ minLength: 1, maxLength: 32 }),
            label: Type.String({ minLength: 1, maxLength: 64 }),
            apiKey: Secret,
            secret: Secret,
            passphrase: Type.Optional(Secret),
          },
          { additionalProperties: false },
        ),
        response: { 201: CredentialView, 409: ProblemSchema, ...Problems },
      },
    },
    async (req, reply) => {
      const claims = req.claims;
      const c = await opts.credentials.add(claims.sub, req.body, actorOf(claims));
      return reply.code(201).send(credentialView(c));
    },
  );

  r.get(
    '/credentials',
    {
      onRequest: app.requires('credentials:read'),
      schema: {
        tags: ['credentials'],
        response: { 200: Type.Object({ credentials: Type.Array(CredentialView) }), ...Problems },
      },
    },
    async (req) => ({
      credentials: (await opts.credentials.list(req.claims.sub)).map(credentialView),
    }),
  );

  r.delete(
    '/credentials/:id',
    {
      onRequest: app.requires('credentials:write', { live: true }),
      schema: {
        tags: ['credentials'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 204: Type.Null({ description: 'deleted' }), 404: ProblemSchema, ...Problems },
      },
    },
    async (req, reply) => {
      const claims = req.claims;
      if (!(await opts.credentials.remove(claims.sub, req.params.id, actorOf(claims)))) {
        throw apiError('NOT_FOUND', `credential ${req.params.id}: not found`);
      }
      return reply.code(204).send(null);
    },
  );
};
