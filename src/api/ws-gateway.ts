import websocket from '@fastify/websocket';
import type { FastifyPluginAsync } from 'fastify';
import type { WebSocket } from 'ws';
import { METRICS } from '../monitoring/metric-catalogue.js';
import type { Logger } from '../trading/core/logger.js';
import { noopMetrics, type Metrics } from '../trading/core/metrics.js';
import type { AccessClaims } from '../security/tokens/access-tokens.js';
import { can, seesEveryAccount, type Permission } from '../security/roles/permissions.js';
import type { TokenService } from '../security/tokens/token-service.js';
import type { MessageBus } from '../trading/bus/message-bus.js';
import { Topics } from '../trading/bus/topics.js';
import type { Bar } from '../trading/data/market-data.js';
import type { OrderEvent } from '../trading/model/order-events.js';
import type { Instrument } from '../trading/model/instrument.js';
import type { Order } from '../trading/model/order.js';
import { orderView } from './order-schemas.js';
import { balanceViews, positionView, type PortfolioSource } from './portfolio-views.js';
import type { StrategyOwners } from './strategy-owners.js';
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
  positions: 'positions:read',
  balances: 'positions:read',
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

/** What the WebSocket gateway uses. */
export interface WsGatewayOptions {
  readonly tokens: Pick<TokenService, 'verifyAccess'>;
  /** Where order events are published (`Topics.allOrderEvents`), every account's. */
  readonly events: Pick<MessageBus, 'subscribe'>;
  /** An order as the OMS holds it now. */
  order(clientOrderId: string): Order | undefined;
  /**
   * The owner of an account: a user id, null for the shared account (its orders are their
   * placer's or their strategy's starter's), undefined for none known (only oversight sees it).
   */
  accountOwner(accountId: string): string | null | undefined;
  /** An account's ledger and prices (`positions`, `balances` channels). */
  portfolio(accountId: string): PortfolioSource | undefined;
  readonly instruments: readonly Instrument[];
  /** The market feed's bars. */
  readonly bars: { subscribe(fn: (bar: Bar) => void): () => void };
  /** Who owns each strategy id's orders (a user's, or a strategy instance they started). */
  readonly owners: Pick<StrategyOwners, 'withOwner'>;
  /** Wall-clock ms. */
  readonly now: () => number;
  /** Where handler bugs are logged (component `ws`). */
  readonly logger?: Logger;
  /** Clients connected (`kairos_ws_clients`) and slow consumers dropped (default none). */
  readonly metrics?: Metrics;
}

/**
 * `GET /ws`: the client authenticates with its access token (`{"type":"auth","token":…}`, again
 * before it expires to stay connected), subscribes to `orders` (the order events and fills of
 * its accounts, of its own orders on the shared account and of the strategy instances it
 * started there; an oversight role: every account's), `positions` and `balances` (after each
 * such fill: the position and balance it changed) and `bars`; every order, fill, position and
 * balance frame names its `accountId`. The server pings every
 * 15 s. A client more than 1 MiB behind is closed (1013) and told why; nothing is buffered
 * without bound.
 */
export const wsGateway: FastifyPluginAsync<WsGatewayOptions> = async (app, opts) => {
  await app.register(websocket, { options: { maxPayload: WS_LIMITS.maxMessageBytes } });
  const clients = new Set<Client>();
  const metrics = opts.metrics ?? noopMetrics;
  const connected = metrics.gauge(METRICS.wsClients);
  const dropped = metrics.counter(METRICS.wsDropped);
  connected.set(0);
  dropped.inc({}, 0);

  const push = (c: Client, message: unknown) => {
    if (c.socket.readyState !== c.socket.OPEN) return;
    if (c.socket.bufferedAmount > WS_LIMITS.maxBufferedBytes) {
      dropped.inc();
      c.socket.close(1013, 'slow consumer: too far behind, reconnect');
      return;
    }
    c.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  };

  const unsubscribeOrders = opts.events.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
    // The order as this event left it (orders are immutable values), framed at most once.
    const order = opts.order(e.clientOrderId);
    if (!order) return;
    // A fill's position and balance as the ledger has them now (it took the fill first).
    const portfolio = e.kind === 'OrderFilled' ? portfolioFrames(e, opts) : null;
    const deliver = (userId: string | null) => {
      let frames: string[] | undefined;
      for (const c of clients) {
        // The account's owner (on the shared account: the order's), or an oversight role.
        if (!c.claims || (c.claims.sub !== userId && !seesEveryAccount(c.claims.role))) continue;
        if (c.channels.has('orders')) {
          frames ??= orderFrames(e, order);
          for (const frame of frames) push(c, frame);
        }
        if (portfolio && c.channels.has('positions')) push(c, portfolio.position);
        if (portfolio && c.channels.has('balances'))
          for (const frame of portfolio.balances) push(c, frame);
      }
    };
    const owner = opts.accountOwner(e.accountId);
    if (owner === null) opts.owners.withOwner(e.strategyId, deliver);
    else deliver(owner ?? null);
  });
  const unsubscribeBars = opts.bars.subscribe((bar) => {
    // `sentAt` (server ms) lets a client see how far behind it is.
    const message = JSON.stringify({ type: 'bar', bar, sentAt: opts.now() });
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
    unsubscribeOrders();
    for (const c of clients) c.socket.close(1001, 'server stopping');
  });

  app.get('/ws', { websocket: true }, (socket) => {
    const c: Client = { socket, claims: null, channels: new Set(), expiry: null, alive: true };
    clients.add(c);
    connected.set(clients.size);
    const authDeadline = setTimeout(() => {
      if (!c.claims) socket.close(4401, 'authenticate first');
    }, WS_LIMITS.authTimeoutMs);
    const error = (code: string, detail: string) => push(c, { type: 'error', code, detail });

    socket.on('pong', () => (c.alive = true));
    // A protocol error (bad UTF-8, an oversized frame) closes this socket; it is not ours to throw.
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      clients.delete(c);
      connected.set(clients.size);
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
        opts.logger?.error('websocket handler error', { err: e });
        error('INTERNAL', 'internal error');
        socket.close(1011, 'internal error');
      }
    });
    const onMessage = (msg: WsMessage): void => {
      if (msg.type === 'auth') {
        let claims: AccessClaims;
        try {
          claims = opts.tokens.verifyAccess(msg.token);
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
          Math.max(0, Math.min(claims.exp * 1000 - opts.now(), MAX_TIMER_MS)),
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
};

/** The position and balance frames after a fill (null when the account's ledger is not here). */
function portfolioFrames(
  e: Extract<OrderEvent, { kind: 'OrderFilled' }>,
  opts: Pick<WsGatewayOptions, 'portfolio' | 'instruments'>,
): { position: string; balances: string[] } | null {
  const src = opts.portfolio(e.accountId);
  const p = src?.ledger.allPositions().find((x) => x.instrumentId === e.fill.instrumentId);
  if (!src || !p) return null;
  const quote = opts.instruments.find((i) => i.id === e.fill.instrumentId)?.quote;
  const accountId = e.accountId;
  return {
    position: JSON.stringify({
      type: 'position',
      accountId,
      position: positionView(accountId, p, src.lastPrice(p.instrumentId)),
    }),
    balances: balanceViews(accountId, src, opts.instruments, quote).map((balance) =>
      JSON.stringify({ type: 'balance', accountId, balance }),
    ),
  };
}

/** The frames of one order event: the order, and the fill when it is one. */
function orderFrames(e: OrderEvent, order: Order): string[] {
  const frames = [
    JSON.stringify({
      type: 'order',
      kind: e.kind,
      accountId: order.accountId,
      order: orderView(order),
    }),
  ];
  if (e.kind === 'OrderFilled') {
    frames.push(
      JSON.stringify({
        type: 'fill',
        accountId: order.accountId,
        fill: {
          accountId: order.accountId,
          clientOrderId: e.clientOrderId,
          tradeId: e.fill.tradeId,
          side: e.fill.side,
          price: e.fill.price.toFixed(),
          quantity: e.fill.quantity.toFixed(),
          fee: e.fill.fee.amount.toFixed(),
          feeCurrency: e.fill.fee.currency,
          ts: e.fill.ts,
        },
      }),
    );
  }
  return frames;
}
