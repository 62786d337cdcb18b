import type { FastifyReply, FastifyRequest } from 'fastify';
import { can, type Permission } from '../security/roles/permissions.js';
import type { AccessClaims } from '../security/tokens/access-tokens.js';
import type { ApiDeps } from './deps.js';
import { apiError } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    claims?: AccessClaims;
  }
}

/** The bearer token of a request, or a clear 401. */
export function bearer(req: FastifyRequest): string {
  const h = req.headers.authorization;
  if (!h || !h.startsWith('Bearer ')) {
    throw apiError('AUTH_REQUIRED', 'Authorization: a Bearer access token is required');
  }
  return h.slice('Bearer '.length).trim();
}

/**
 * A pre-handler that admits a request holding `permission`: reads trust the access token;
 * writes (`live`) also check that the session is still live (`TokenService.verifyAccessLive`).
 */
export function requires(deps: ApiDeps, permission: Permission, live = false) {
  const guard = async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearer(req);
    const claims = live
      ? await deps.tokens.verifyAccessLive(token)
      : deps.tokens.verifyAccess(token);
    if (!can(claims.role, permission)) {
      throw apiError('FORBIDDEN', `role ${claims.role} may not ${permission}`);
    }
    req.claims = claims;
  };
  // The document declares the permission (`openapi-truth.ts`).
  return Object.assign(guard, { permission });
}

/** The owner id of orders a user places. */
export function ownerOf(claims: AccessClaims): string {
  return `user:${claims.sub}`;
}

/**
 * Every owner id of a user's orders: their own (`user:<id>`) and the strategy ids of the
 * strategies they started (object-level checks on orders and fills cover both).
 */
export async function ownersOf(deps: ApiDeps, claims: AccessClaims): Promise<string[]> {
  return [ownerOf(claims), ...(await deps.strategies.ownedIds(claims.sub))];
}

/** Who a request acts as, for the audit log: the user id (as `user:<id>`) and the role. */
export function actorOf(claims: AccessClaims): { actor: string; role: string } {
  return { actor: ownerOf(claims), role: claims.role };
}
