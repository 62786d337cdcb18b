import type { WebSocket } from 'ws';
import { seesEveryAccount } from '../security/roles/permissions.js';
import type { AccessClaims } from '../security/tokens/access-tokens.js';
import { isMarket, logChannelOf, type Channel, type MarketChannel } from './ws-channels.js';
import type { ClientCursors } from './ws-cursors.js';
import type { WsGatewayOptions } from './ws-gateway-options.js';
import type { SubscribeRetries } from './ws-subscribe-retries.js';

/** Limits of one socket. */
export const WS_LIMITS = {
  maxMessageBytes: 64 * 1024,
  /** Bytes queued for a client before it is dropped as a slow consumer. */
  maxBufferedBytes: 1024 * 1024,
  heartbeatMs: 15_000,
  authTimeoutMs: 10_000,
  /** At a stop, how long a client may take to answer the close (1001) before it is cut. */
  closeGraceMs: 1_000,
} as const;

/**
 * Closes `socket` with `code` and cuts it if its peer does not answer the close within
 * `WS_LIMITS.closeGraceMs`: `ws` would wait 30 s for the answer, and the connection would hold
 * its address's slot (`ws-address-slots.ts`) all that time.
 */
export function closeThenCut(socket: WebSocket, code: number, reason: string): void {
  socket.close(code, reason);
  const cut = setTimeout(() => socket.terminate(), WS_LIMITS.closeGraceMs);
  socket.once('close', () => clearTimeout(cut));
}

/** One connected WebSocket client: who it is, what it subscribed, where it is in each channel. */
export interface WsClient {
  readonly socket: WebSocket;
  claims: AccessClaims | null;
  readonly channels: Set<Channel>;
  /** Channels being subscribed (followed already, not pushed yet). */
  readonly pending: Set<Channel>;
  /** Per market channel, the log channels of the instruments subscribed (`ws:trades:…`). */
  readonly markets: Map<MarketChannel, Set<string>>;
  /** Log channels of instruments being subscribed (followed already, not pushed yet). */
  readonly pendingMarkets: Set<string>;
  /** Where the client is in each channel: each frame pushed once, in order. */
  readonly cursors: ClientCursors;
  /** Subscriptions the event log did not answer, retried by the server until they go through. */
  readonly retries: SubscribeRetries<Channel>;
  /** The messages of this client, handled one after the other. */
  work: Promise<void>;
  expiry: NodeJS.Timeout | null;
  alive: boolean;
}

/** Whether client `c` gets a frame of kind `k` for user `u` (subscription and account). */
export const sees = (c: WsClient, k: Channel, u: string | null, channel: string) =>
  c.claims !== null &&
  c.channels.has(k) &&
  (isMarket(k)
    ? (c.markets.get(k)?.has(channel) ?? false)
    : u === c.claims.sub || seesEveryAccount(c.claims.role));

/** Who owns which account, and which accounts a user sees. */
export type AccountsSeen = Pick<WsGatewayOptions, 'visibleAccounts' | 'accountOwner'>;

/**
 * The accounts whose `kind` frames a user gets: those they see; for `risk`, only those they
 * own (the shared account's kill switch and limits are the oversight roles').
 */
export const accountsOf = (opts: AccountsSeen, claims: AccessClaims, kind: Channel): string[] => {
  const seen = opts.visibleAccounts(claims);
  if (kind !== 'risk' || seesEveryAccount(claims.role)) return [...seen];
  return seen.filter((id) => opts.accountOwner(id) === claims.sub);
};

/** The channels client `c` gets frames of for `kind` (and would, for `pending` kinds). */
export const channelsOf = (opts: AccountsSeen, c: WsClient, kind: Channel): string[] =>
  !c.claims
    ? []
    : isMarket(kind)
      ? [...(c.markets.get(kind) ?? []), ...c.pendingMarkets]
      : accountsOf(opts, c.claims, kind).map((id) => logChannelOf(kind, id));
