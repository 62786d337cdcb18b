import { can } from '../security/roles/permissions.js';
import type { AccessClaims } from '../security/tokens/access-tokens.js';
import { CHANNEL_PERMISSION, isMarket, type Channel } from './ws-channels.js';
import { closeThenCut, type WsClient } from './ws-client.js';
import type { WsGatewayOptions } from './ws-gateway-options.js';
import type { Subscriptions } from './ws-subscriptions.js';

// setTimeout takes at most 2^31-1 ms; a later expiry is re-checked at the next auth.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What an `auth` message works with. */
export interface WsAuthOptions {
  /** The token service and the wall clock (`tokens`, `now`). */
  readonly gateway: Pick<WsGatewayOptions, 'tokens' | 'now'>;
  readonly subscriptions: Pick<Subscriptions, 'dropMarkets'>;
  /** Sends a frame to a client (`pushTo`, back-pressure included). */
  push(c: WsClient, message: unknown): void;
}

/**
 * Runs an `auth` message: the token verified (else 4401), of the same user as before (a refresh),
 * then the channels its role lost are left and the socket closes (4401) when it expires, unless
 * the client authenticates again before.
 */
export function authenticate(opts: WsAuthOptions, c: WsClient, token: string): void {
  const { gateway, push } = opts;
  const socket = c.socket;
  const error = (code: string, detail: string) => push(c, { type: 'error', code, detail });
  let claims: AccessClaims;
  try {
    claims = gateway.tokens.verifyAccess(token);
  } catch (e) {
    error('AUTH_INVALID_TOKEN', (e as Error).message);
    // A peer that does not answer the close is cut (it may have authenticated before: the
    // auth deadline, which cuts an unauthenticated one, is past).
    return closeThenCut(socket, 4401, 'invalid token');
  }
  if (c.claims && c.claims.sub !== claims.sub) {
    return error('WS_BAD_MESSAGE', 'token: belongs to another user');
  }
  c.claims = claims;
  // A role that lost a channel's permission (a refreshed token) leaves the channel.
  for (const ch of c.channels)
    if (!can(claims.role, CHANNEL_PERMISSION[ch])) {
      if (isMarket(ch)) opts.subscriptions.dropMarkets(c, ch);
      c.channels.delete(ch);
      c.cursors.drop(ch);
    }
  for (const ch of Object.keys(CHANNEL_PERMISSION) as Channel[])
    if (!can(claims.role, CHANNEL_PERMISSION[ch])) c.retries.cancel(ch);
  if (c.expiry) clearTimeout(c.expiry);
  c.expiry = setTimeout(
    () => closeThenCut(socket, 4401, 'token expired'),
    Math.max(0, Math.min(claims.exp * 1000 - gateway.now(), MAX_TIMER_MS)),
  );
  return push(c, { type: 'authenticated', expiresAt: claims.exp * 1000 });
}

/**
 * Why client `c` may not use `channel` (not authenticated, or its role lacks the channel's
 * permission: the same matrix as the routes), as an error's code and detail; null: it may.
 */
export function channelRefusal(c: WsClient, channel: Channel): [string, string] | null {
  if (!c.claims) return ['AUTH_REQUIRED', 'authenticate first'];
  const permission = CHANNEL_PERMISSION[channel];
  if (!can(c.claims.role, permission))
    return ['FORBIDDEN', `role ${c.claims.role} may not ${permission} (channel ${channel})`];
  return null;
}
