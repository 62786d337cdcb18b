import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { can, type Permission } from '../security/roles/permissions.js';
import type { AccessClaims } from '../security/tokens/access-tokens.js';
import type { TokenService } from '../security/tokens/token-service.js';
import { InvariantError } from '../trading/core/errors.js';
import { apiError } from './problem.js';
import { bearerToken } from './bearer-token.js';

/** What the authenticated context verifies tokens with. */
export type AccessVerifier = Pick<TokenService, 'verifyAccess' | 'verifyAccessLive'>;

/**
 * An `onRequest` (or `preHandler`) hook that authenticates a request and puts its claims on
 * `request.claims`; it carries the permission it checks, so the document can declare it
 * (`openapi-truth.ts`).
 */
export type Guard = ((req: FastifyRequest, reply: FastifyReply) => Promise<void>) & {
  readonly authenticated: true;
  readonly permission?: Permission;
};

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The claims of the verified access token. Set by a guard (`app.requires`,
     * `app.authenticated`); reading them on a route without one is a bug and throws.
     */
    readonly claims: AccessClaims;
    /** The user id of a verified token, null before a guard ran or on a route without one (logs). */
    readonly verifiedUserId: string | null;
  }
  interface FastifyInstance {
    /**
     * A guard that admits a request whose token verifies and whose role holds `permission`
     * (the matrix of `permissions.ts`): reads trust the token; writes (`live`) also check that
     * the session is still live (`TokenService.verifyAccessLive`).
     */
    requires(permission: Permission, opts?: { readonly live?: boolean }): Guard;
    /** A guard that admits any verified token (no permission: `POST /auth/logout`). */
    authenticated(): Guard;
  }
}

/** The bearer token of a request, or a clear 401. */
function bearer(req: FastifyRequest): string {
  const token = bearerToken(req.headers.authorization);
  if (token === null)
    throw apiError('AUTH_REQUIRED', 'Authorization: a Bearer access token is required');
  return token;
}

/** Where a guard leaves the verified claims on the request. */
const CLAIMS = Symbol('kairos.claims');
type WithClaims = { [CLAIMS]: AccessClaims | null };

const authenticatedContext: FastifyPluginAsync<{ readonly tokens: AccessVerifier }> = async (
  app,
  { tokens },
) => {
  // A field every request is made with (Fastify sets it in the request's constructor, so every
  // request keeps one shape), not a WeakMap: an entry a request, which the GC must trace apart.
  app.decorateRequest(CLAIMS as unknown as string, null);
  const claimsOf = (req: FastifyRequest) => (req as unknown as WithClaims)[CLAIMS];
  app.decorateRequest('claims', {
    getter(this: FastifyRequest): AccessClaims {
      const claims = claimsOf(this);
      if (!claims) throw new InvariantError('CLAIMS_MISSING', `${this.url}: no guard ran`);
      return claims;
    },
  });
  app.decorateRequest('verifiedUserId', {
    getter(this: FastifyRequest): string | null {
      return claimsOf(this)?.sub ?? null;
    },
  });
  const guard = (permission: Permission | undefined, live: boolean): Guard => {
    const check = async (req: FastifyRequest): Promise<void> => {
      const token = bearer(req);
      const claims = live ? await tokens.verifyAccessLive(token) : tokens.verifyAccess(token);
      if (permission !== undefined && !can(claims.role, permission)) {
        throw apiError('FORBIDDEN', `role ${claims.role} may not ${permission}`);
      }
      (req as unknown as WithClaims)[CLAIMS] = claims;
    };
    return Object.assign(check, {
      authenticated: true as const,
      ...(permission === undefined ? {} : { permission }),
    });
  };
  app.decorate('requires', (permission: Permission, opts?: { readonly live?: boolean }) =>
    guard(permission, opts?.live ?? false),
  );
  app.decorate('authenticated', () => guard(undefined, false));
};

/**
 * The one authenticated context of the API (registered once, before the resource plugins, and
 * seen by all of them): `app.requires(permission, { live })` and `app.authenticated()` make
 * guards that verify the bearer token and decorate the request with its claims
 * (`request.claims`).
 *
 * @example
 * await app.register(authentication, { tokens });
 * app.get('/orders', { onRequest: app.requires('orders:read') }, async (req) => req.claims.sub);
 */
export const authentication = fp(authenticatedContext, { name: 'kairos-authentication' });

/** The owner id of orders a user places. */
export function ownerOf(claims: Pick<AccessClaims, 'sub'>): string {
  return `user:${claims.sub}`;
}

/** Who a request acts as, for the audit log: the user id (as `user:<id>`) and the role. */
export function actorOf(claims: AccessClaims): { actor: string; role: string } {
  return { actor: ownerOf(claims), role: claims.role };
}
