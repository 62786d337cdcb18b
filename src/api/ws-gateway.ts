import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { AccessClaims } from '../security/tokens/access-tokens.js';
import { can, type Permission } from '../security/roles/permissions.js';
import { Topics } from '../trading/bus/topics.js';
import type { Bar } from '../trading/data/market-data.js';
import type { OrderEvent } from '../trading/model/order-events.js';
import { ownerOf } from './auth-guard.js';
import type { ApiDeps } from './deps.js';
import { orderView } from './order-schemas.js';
import { readFrame, type WsMessage } from './ws-messages.js';

/** Limits of one socket. */
export const WS_LIMITS = {
  maxMessageBytes: 64 * 1024,
  /** Bytes queued for a client before it is dropped as a slow consumer. */
  maxBufferedBytes: 1024 * 1024,
  heartbeatMs: 15_000,
  authTimeoutMs: 10_000,
} as const;

/** Each channel and the permission it needs: the same matrix as the routes (`permissions.ts`). */
export const CHANNEL_PERMISSION = {
  orders: 'orders:read',
  bars: 'market-data:read',
} as const satisfies Readonly<Record<string, Permission>>;
type Channel = keyof typeof CHANNEL_PERMISSION;

// setTimeout takes at most 2^31-1 ms; a later expiry is re-checked at the next auth.
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Client {
  readonly socket: WebSocket;
  claims: AccessClaims | null;
  readonly channels: Set<Channel>;
  expiry: NodeJS.Timeout | null;
  alive: boolean;
}

/**
 * `GET /ws`: the client authenticates with its access token (`{"type":"auth","token":…}`, again
 * before it expires to stay connected), subscribes to `orders` (its own order events and fills)
 * and `bars`; the server pings every 15 s. A client more than 1 MiB behind is closed (1013) and
 * told why; nothing is buffered without bound.
 */
export async function wsGateway(
  app: FastifyInstance,
  deps: ApiDeps & { readonly bars: { subscribe(fn: (bar: Bar) => void): () => void } },
): Promise<void> {
  await app.register(websocket, { options: { maxPayload: WS_LIMITS.maxMessageBytes } });
  const clients = new Set<Client>();

  const push = (c: Client, message: unknown) => {
    if (c.socket.readyState !== c.socket.OPEN) return;
    if (c.socket.bufferedAmount > WS_LIMITS.maxBufferedBytes) {
      c.socket.close(1013, 'slow consumer: too far behind, reconnect');
      return;
    }
    c.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  };

  deps.core.bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
    const order = deps.core.exec.order(e.clientOrderId);
    if (!order) return;
    for (const c of clients) {
      if (!c.claims || !c.channels.has('orders') || ownerOf(c.claims) !== e.strategyId) continue;
      push(c, { type: 'order', kind: e.kind, order: orderView(order) });
      if (e.kind === 'OrderFilled') {
        push(c, {
          type: 'fill',
          fill: {
            clientOrderId: e.clientOrderId,
            tradeId: e.fill.tradeId,
            side: e.fill.side,
            price: e.fill.price.toFixed(),
            quantity: e.fill.quantity.toFixed(),
            fee: e.fill.fee.amount.toFixed(),
            feeCurrency: e.fill.fee.currency,
            ts: e.fill.ts,
          },
        });
      }
    }
  });
  const unsubscribeBars = deps.bars.subscribe((bar) => {
    // `sentAt` (server ms) lets a client see how far behind it is.
    const message = JSON.stringify({ type: 'bar', bar, sentAt: deps.now() });
    for (const c of clients) if (c.claims && c.channels.has('bars')) push(c, message);
  });

  const heartbeat = setInterval(() => {
    for (const c of clients) {
      if (!c.alive) {
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  }, WS_LIMITS.heartbeatMs);
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    unsubscribeBars();
    for (const c of clients) c.socket.close(1001, 'server stopping');
  });

  app.get('/ws', { websocket: true }, (socket) => {
    const c: Client = { socket, claims: null, channels: new Set(), expiry: null, alive: true };
    clients.add(c);
    const authDeadline = setTimeout(() => {
      if (!c.claims) socket.close(4401, 'authenticate first');
    }, WS_LIMITS.authTimeoutMs);
    const error = (code: string, detail: string) => push(c, { type: 'error', code, detail });

    socket.on('pong', () => (c.alive = true));
    // A protocol error (bad UTF-8, an oversized frame) closes this socket; it is not ours to throw.
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      clients.delete(c);
      clearTimeout(authDeadline);
      if (c.expiry) clearTimeout(c.expiry);
    });
    socket.on('message', (raw, isBinary) => {
      // Nothing a client sends may escape this handler: a bug answers INTERNAL and closes
      // this one socket, never the process.
      try {
        const parsed = readFrame(raw, isBinary);
        if (!parsed.ok) return error('WS_BAD_MESSAGE', parsed.detail);
        onMessage(parsed.message);
      } catch (e) {
        deps.log?.(`websocket handler error: ${(e as Error).stack ?? String(e)}`);
        error('INTERNAL', 'internal error');
        socket.close(1011, 'internal error');
      }
    });
    const onMessage = (msg: WsMessage): void => {
      if (msg.type === 'auth') {
        let claims: AccessClaims;
        try {
          claims = deps.tokens.verifyAccess(msg.token);
        } catch (e) {
          error('AUTH_INVALID_TOKEN', (e as Error).message);
          return socket.close(4401, 'invalid token');
        }
        if (c.claims && c.claims.sub !== claims.sub) {
          return error('WS_BAD_MESSAGE', 'token: belongs to another user');
        }
        c.claims = claims;
        // A role that lost a channel's permission (a refreshed token) leaves the channel.
        for (const ch of c.channels)
          if (!can(claims.role, CHANNEL_PERMISSION[ch])) c.channels.delete(ch);
        if (c.expiry) clearTimeout(c.expiry);
        c.expiry = setTimeout(
          () => socket.close(4401, 'token expired'),
          Math.max(0, Math.min(claims.exp * 1000 - deps.now(), MAX_TIMER_MS)),
        );
        return push(c, { type: 'authenticated', expiresAt: claims.exp * 1000 });
      }
      if (!c.claims) return error('AUTH_REQUIRED', 'authenticate first');
      const channel = msg.channel;
      const permission = CHANNEL_PERMISSION[channel];
      if (!can(c.claims.role, permission)) {
        return error(
          'FORBIDDEN',
          `role ${c.claims.role} may not ${permission} (channel ${channel})`,
        );
      }
      if (msg.type === 'subscribe') c.channels.add(channel);
      else c.channels.delete(channel);
      push(c, { type: `${msg.type}d`, channel });
    };
  });
}
