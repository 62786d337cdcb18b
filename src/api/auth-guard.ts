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
 * writes (`live`) also check that the session is still live (within `SESSION_CHECK_MS`).
 */
export function requires(deps: ApiDeps, permission: Permission, live = false) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearer(req);
    const claims = live ? await liveClaims(deps, token) : deps.tokens.verifyAccess(token);
    if (!can(claims.role, permission)) {
      throw apiError('FORBIDDEN', `role ${claims.role} may not ${permission}`);
    }
    req.claims = claims;
  };
}

/** How long a session found live is trusted on writes without asking the store again. */
export const SESSION_CHECK_MS = 1_000;
const liveUntil = new Map<string, number>();

/**
 * The claims of a token whose session is live: checked in the store at most once a second per
 * session (a revoked session stops writing within 1 s, and at once on this instance's logout).
 */
async function liveClaims(deps: ApiDeps, token: string): Promise<AccessClaims> {
  const claims = deps.tokens.verifyAccess(token);
  if ((liveUntil.get(claims.sid) ?? 0) > deps.now()) return claims;
  await deps.tokens.verifyAccessLive(token);
  if (liveUntil.size > 10_000) liveUntil.clear();
  liveUntil.set(claims.sid, deps.now() + SESSION_CHECK_MS);
  return claims;
}

/** Forgets a session checked live (after a logout here). */
export function forgetSession(sid: string): void {
  liveUntil.delete(sid);
}

/** Forgets every session checked live (after revoking a user's sessions here: rare, and cheap). */
export function forgetSessions(): void {
  liveUntil.clear();
}

/** The owner id of orders a user places. */
export function ownerOf(claims: AccessClaims): string {
  return `user:${claims.sub}`;
}

/** Who a request acts as, for the audit log: the user id (as `user:<id>`) and the role. */
export function actorOf(claims: AccessClaims): { actor: string; role: string } {
  return { actor: ownerOf(claims), role: claims.role };
}
