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
import { KairosError } from '../trading/core/errors.js';
import type { Bar, BookTop, TradeTick } from '../trading/data/market-data.js';
import type { OrderEvent } from '../trading/model/order-events.js';
import type { Instrument } from '../trading/model/instrument.js';
import type { Order } from '../trading/model/order.js';
import { fillView } from './fill-view.js';
import { orderView } from './order-schemas.js';
import { balanceViews, positionView, type PortfolioSource } from './portfolio-views.js';
import type { StrategyOwners } from './strategy-owners.js';
import { readFrame, type WsMessage } from './ws-messages.js';
import { ClientCursors, type ResumeSource } from './ws-cursors.js';
import type { EventLog, Payload } from '../scalability/bus/event-log.js';
import { EventFollower } from '../scalability/bus/event-follower.js';
import { MemoryEventLog } from '../scalability/bus/memory-event-log.js';
import { accountsOfChange, riskFrame, type RiskAccount, type RiskChanges } from './risk-frames.js';
import {
  SUBSCRIBE_RETRY,
  SubscribeRetries,
  type SubscribeRequest,
  type SubscribeRetryPolicy,
} from './ws-subscribe-retries.js';

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

/** Each channel and the permission it needs: the same matrix as the routes (`permissions.ts`). */
export const CHANNEL_PERMISSION = {
  orders: 'orders:read',
  fills: 'orders:read',
  bars: 'market-data:read',
  trades: 'market-data:read',
  book: 'market-data:read',
  positions: 'positions:read',
  balances: 'positions:read',
  // An account's kill switch and limits: its owner and the oversight roles (an admin, who may
  // halt any account, included), whatever their risk permissions (`docs/api.md`, "WebSocket").
  risk: 'accounts:read',
} as const satisfies Readonly<Record<string, Permission>>;
export type Channel = keyof typeof CHANNEL_PERMISSION;
/** The channels of an instrument's market data (the others are an account's). */
export type MarketChannel = 'bars' | 'trades' | 'book';
const isMarket = (k: Channel): k is MarketChannel => k === 'bars' || k === 'trades' || k === 'book';

/** What each market channel carries. */
interface MarketItems {
  readonly bars: Bar;
  readonly trades: TradeTick;
  readonly book: BookTop;
}

/**
 * The venues' market data (`kairos serve --venue`): any symbol a venue lists, each stream
 * subscribed at the venue while some client (or account, strategy) wants it.
 */
export interface VenueMarketStreams {
  /** Throws `VENUE_NOT_CONFIGURED` or `UNKNOWN_INSTRUMENT` (a `KairosError` naming it). */
  check(venue: string, symbol: string): void;
  /** `kind` of `symbol` on `venue` from now on (subscribed at the first); answers the release. */
  watch<K extends MarketChannel>(
    kind: K,
    venue: string,
    symbol: string,
    fn: (item: MarketItems[K]) => void,
  ): Promise<() => void>;
  /** The last item of a subscribed stream (a snapshot), null when none. */
  last<K extends MarketChannel>(kind: K, venue: string, symbol: string): MarketItems[K] | null;
}

// setTimeout takes at most 2^31-1 ms; a later expiry is re-checked at the next auth.
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Client {
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
  /** The instruments an account trades (its balance frames' quote currency; default `instruments`). */
  instrumentsOf?(accountId: string): readonly Instrument[];
  /** The venues' bars, trades and book tops (`<venue>:<symbol>` instruments); none: replay only. */
  readonly market?: VenueMarketStreams;
  /** The market feed's bars. */
  readonly bars: { subscribe(fn: (bar: Bar) => void): () => void };
  /** Who owns each strategy id's orders (a user's, or a strategy instance they started). */
  readonly owners: Pick<StrategyOwners, 'withOwner'>;
  /**
   * Where every frame is appended before any client gets it, and read back from (default: a
   * `MemoryEventLog`: this process only). With a shared log (Redis), a frame produced on one
   * instance reaches the clients of every instance, and a client resumes on any of them.
   */
  readonly log?: EventLog;
  /** The ids of the accounts a user sees (`AccountAccess.visible`): the channels followed for them. */
  visibleAccounts(claims: AccessClaims): readonly string[];
  /**
   * The account's state now, as its routes show it to this user, for a snapshot: open orders
   * (`orders`), positions, balances; bars: the instrument's last bar.
   */
  snapshot(claims: AccessClaims, kind: Channel, key: string): Promise<readonly unknown[]>;
  /**
   * The risk changes made on this instance (`risk` channel): each is appended, for every account
   * it applies to, before the change's answer; those of other instances come through the log.
   * None: the channel carries snapshots only.
   */
  readonly riskChanges?: RiskChanges;
  /** Every account (a global risk change applies to each); default none. */
  allAccounts?(): readonly RiskAccount[];
  /** Wall-clock ms. */
  readonly now: () => number;
  /** Where handler bugs are logged (component `ws`). */
  readonly logger?: Logger;
  /** Clients connected (`kairos_ws_clients`) and slow consumers dropped (default none). */
  readonly metrics?: Metrics;
  /**
   * How a `subscribe` the event log did not answer is retried before the socket is closed with
   * 1013 (default `SUBSCRIBE_RETRY`: about 30 s).
   */
  readonly subscribeRetry?: SubscribeRetryPolicy;
}

/** The event-log channel of an account's frames (orders, fills, positions, balances). */
export const accountChannel = (accountId: string) => `ws:${accountId}`;
/**
 * The event-log channel of an account's `risk` frames: its own sequence, so the kill switch and
 * limits shift none of the account's order, fill, position and balance sequences.
 */
export const riskChannel = (accountId: string) => `ws:risk:${accountId}`;
/** The event-log channel an account's `kind` frames are in (`risk` has one of its own). */
const logChannelOf = (kind: Channel, accountId: string) =>
  kind === 'risk' ? riskChannel(accountId) : accountChannel(accountId);
/** The event-log channel of an instrument's bars. */
export const barsChannel = (instrumentId: string) => `ws:bars:${instrumentId}`;
/**
 * The event-log channel of a market channel's instrument: the replay's bars keep `ws:bars:<id>`;
 * a venue's symbol is qualified by its venue, `ws:<kind>:<venue>:<symbol>`.
 */
export const marketChannel = (kind: MarketChannel, venue: string | null, symbol: string) =>
  venue === null ? `ws:${kind}:${symbol}` : `ws:${kind}:${venue}:${symbol}`;

/** An instrument a client names: the replay's (`venue` null) or a venue's symbol. */
interface InstrumentKey {
  readonly key: string;
  readonly venue: string | null;
  readonly symbol: string;
}

/** A frame as the log keeps it: its kind, the user it is for (null: oversight only), the frame. */
interface LoggedFrame {
  readonly k: Channel;
  readonly u: string | null;
  readonly f: { readonly type: string };
}

/**
 * `GET /ws`: the client authenticates with its access token (`{"type":"auth","token":…}`, again
 * before it expires to stay connected), subscribes to `orders` (the order events and fills of
 * its accounts, of its own orders on the shared account and of the strategy instances it
 * started there; an oversight role: every account's), `fills` (those fills alone), `positions` and `balances` (after each
 * such fill: the position and balance it changed), `risk` (its own accounts' kill switch and
 * limits: a snapshot, then each change made on any instance; an oversight role: every account's)
 * and `bars`; every order, fill, position, balance and risk frame names its `accountId` and
 * carries `seq`, its place in the account's channel (`risk`: a channel of its own).
 * Every frame is appended to the event log first and pushed from it, so each instance pushes
 * the frames of every instance; a client resumes after its last `seq` per account
 * (`subscribe` with `after`) on any instance, or gets a snapshot (`resumed: false`) when the
 * log no longer keeps what it missed. The server pings every 15 s. A client more than 1 MiB
 * behind is closed (1013) and told why; nothing is buffered without bound.
 */
export const wsGateway: FastifyPluginAsync<WsGatewayOptions> = async (app, opts) => {
  await app.register(websocket, {
    options: { maxPayload: WS_LIMITS.maxMessageBytes },
    // At a stop (a drain), every client is told 1001 and gets `closeGraceMs` to answer; one that
    // does not (stalled, or gone without a word) is cut. The plugin's own close waited up to
    // ws's 30 s close timeout for such a client, and the drain with it.
    preClose(done) {
      const server = this.websocketServer;
      for (const client of server.clients) client.close(1001, 'server stopping');
      const cut = setTimeout(() => {
        for (const client of server.clients) client.terminate();
      }, WS_LIMITS.closeGraceMs);
      server.close(() => {
        clearTimeout(cut);
        done();
      });
    },
  });
  const clients = new Set<Client>();
  const metrics = opts.metrics ?? noopMetrics;
  const connected = metrics.gauge(METRICS.wsClients);
  const dropped = metrics.counter(METRICS.wsDropped);
  const resumes = metrics.counter(METRICS.wsResumes);
  const logErrors = metrics.counter(METRICS.wsLogErrors);
  const retrying = metrics.gauge(METRICS.wsSubscribeRetries);
  connected.set(0);
  retrying.set(0);
  dropped.inc({}, 0);
  const log = opts.log ?? new MemoryEventLog();
  const warn = (message: string, fields: Record<string, unknown>) =>
    opts.logger?.warn(message, fields);

  const push = (c: Client, message: unknown) => {
    if (c.socket.readyState !== c.socket.OPEN) return;
    if (c.socket.bufferedAmount > WS_LIMITS.maxBufferedBytes) {
      dropped.inc();
      c.socket.close(1013, 'slow consumer: too far behind, reconnect');
      return;
    }
    c.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  };

  /** Whether client `c` gets a frame of kind `k` for user `u` (subscription and account). */
  const sees = (c: Client, k: Channel, u: string | null, channel: string) =>
    c.claims !== null &&
    c.channels.has(k) &&
    (isMarket(k)
      ? (c.markets.get(k)?.has(channel) ?? false)
      : u === c.claims.sub || seesEveryAccount(c.claims.role));

  // Every frame comes from the log, once per client, in each channel's order.
  const follower = new EventFollower(
    log,
    (e) => {
      const lf = readLogged(e.payload);
      if (!lf) return warn('event log: a frame that is not ours, skipped', { channel: e.channel });
      let frame: string | undefined;
      for (const c of clients) {
        if (!sees(c, lf.k, lf.u, e.channel) || !c.cursors.offer(lf.k, e.channel, e.seq)) continue;
        push(c, (frame ??= JSON.stringify({ ...lf.f, seq: e.seq })));
      }
    },
    {
      onGap: (channel, from, to, cause) => {
        logErrors.inc({ kind: 'gap' });
        warn('event log: frames lost to this instance', { channel, from, to, err: cause });
      },
    },
  );

  /**
   * The accounts whose `kind` frames a user gets: those they see; for `risk`, only those they
   * own (the shared account's kill switch and limits are the oversight roles').
   */
  const accountsOf = (claims: AccessClaims, kind: Channel): string[] => {
    const seen = opts.visibleAccounts(claims);
    if (kind !== 'risk' || seesEveryAccount(claims.role)) return [...seen];
    return seen.filter((id) => opts.accountOwner(id) === claims.sub);
  };
  /** The channels client `c` gets frames of for `kind` (and would, for `pending` kinds). */
  const channelsOf = (c: Client, kind: Channel): string[] =>
    !c.claims
      ? []
      : isMarket(kind)
        ? [...(c.markets.get(kind) ?? []), ...c.pendingMarkets]
        : accountsOf(c.claims, kind).map((id) => logChannelOf(kind, id));
  // When each channel was last wanted: one no client wants is still followed for a minute, so
  // clients that come and go do not restart the log's follower (a connection) each time.
  const wantedAt = new Map<string, number>();
  /**
   * Follows the channels the connected clients see. A channel new to this instance starts at
   * its end when a client subscribes (`fromStart` false: it gets frames from now on), or at its
   * start when it is found later (`fromStart`: an account opened since its clients subscribed;
   * they get all of its frames). Subscriptions under way count only for the former.
   */
  const sync = (fromStart: boolean) => {
    const now = opts.now();
    for (const c of clients)
      for (const kind of fromStart ? c.channels : [...c.channels, ...c.pending])
        for (const ch of channelsOf(c, kind)) wantedAt.set(ch, now);
    for (const [ch, at] of wantedAt) if (now - at > UNWANTED_KEPT_MS) wantedAt.delete(ch);
    return follower.follow(wantedAt.keys(), () => (fromStart ? 0 : undefined));
  };
  let syncSoon: NodeJS.Timeout | null = null;
  const requestSync = () => {
    syncSoon ??= setTimeout(() => {
      syncSoon = null;
      sync(true).catch((e: unknown) => warn('event log: follow failed', { err: e }));
    }, 50);
  };
  // Accounts opened since (on any instance) join within a second.
  const resync = setInterval(requestSync, 1_000);

  // Frames are appended in the order their events happen (one connection keeps the order).
  const append = (channel: string, k: Channel, u: string | null, frame: Payload, once?: string) =>
    void appended(channel, k, u, frame, once);
  /**
   * Appends a frame; resolves once it is in the log (or its failure is logged). A frame given
   * as a function is made when the log needs its text: the embedded log, when it is first read.
   */
  const appended = (
    channel: string,
    k: Channel,
    u: string | null,
    frame: Payload,
    once?: string,
  ) => {
    const payload: Payload =
      typeof frame === 'string'
        ? `{"k":${JSON.stringify(k)},"u":${JSON.stringify(u)},"f":${frame}}`
        : () => `{"k":${JSON.stringify(k)},"u":${JSON.stringify(u)},"f":${frame()}}`;
    const failed = (e: unknown) => {
      logErrors.inc({ kind: 'append' });
      warn('event log: frame not appended', { channel, err: e });
    };
    // One promise a frame past the append's (three frames an order): both outcomes in one `then`.
    return log.append(channel, payload, once === undefined ? undefined : { once }).then(() => {
      try {
        if (!follower.has(channel)) requestSync();
      } catch (e) {
        failed(e);
      }
    }, failed);
  };

  const unsubscribeOrders = opts.events.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
    // The order as this event left it (orders are immutable values), framed once.
    const order = opts.order(e.clientOrderId);
    if (!order) return;
    const channel = accountChannel(e.accountId);
    // The order's frame is made once, and only if read (no client, no resume: never).
    const frames = orderFrames(e, order);
    // A fill's position and balance as the ledger has them now (it took the fill first).
    const portfolio = e.kind === 'OrderFilled' ? portfolioFrames(e, opts) : null;
    const deliver = (userId: string | null) => {
      append(channel, 'orders', userId, frames.order);
      if (!frames.fill) return;
      // On `orders` beside its order (as before `fills` existed) and on `fills` alone.
      append(channel, 'orders', userId, frames.fill);
      append(channel, 'fills', userId, frames.fill);
      if (!portfolio) return;
      append(channel, 'positions', userId, portfolio.position);
      for (const frame of portfolio.balances) append(channel, 'balances', userId, frame);
    };
    const owner = opts.accountOwner(e.accountId);
    if (owner === null) opts.owners.withOwner(e.strategyId, deliver);
    else deliver(owner ?? null);
  });
  // The instance that makes a risk change appends its frames (`docs/scalability.md`, "Risk
  // changes through the log"): for the account's owner (null: oversight only), in order.
  const unsubscribeRisk =
    opts.riskChanges?.subscribe(async (change) => {
      const accounts = accountsOfChange(change, opts.allAccounts?.() ?? []);
      await Promise.all(
        accounts.map((a) =>
          appended(riskChannel(a.id), 'risk', a.ownerUserId, JSON.stringify(riskFrame(change, a))),
        ),
      );
    }) ?? (() => undefined);
  /**
   * The venue streams the clients of this instance want, counted: subscribed at the venue at the
   * first client, released after the last. Each instance that has clients of a stream appends
   * its items with their venue key as `once`, so the log holds each once.
   */
  const watches = new Map<string, { count: number; release: Promise<() => void> }>();
  const acquire = async (kind: MarketChannel, k: InstrumentKey, ch: string): Promise<void> => {
    const w = watches.get(ch);
    if (w) {
      w.count++;
      await w.release;
      return;
    }
    // Each venue stream is a connection to the venue: the clients of one instance open a bounded
    // number of them, whatever they ask for.
    if (watches.size >= MAX_VENUE_STREAMS)
      throw new KairosError(
        'WS_STREAM_LIMIT',
        `${k.key}: this server already streams ${MAX_VENUE_STREAMS} venue streams to its clients; unsubscribe some first`,
      );
    const venue = k.venue!;
    const entry = {
      count: 1,
      release: opts.market!.watch(kind, venue, k.symbol, (item) => {
        const [frame, once] = marketFrame(kind, venue, item, opts.now());
        append(ch, kind, null, frame, once);
      }),
    };
    watches.set(ch, entry);
    try {
      await entry.release;
    } catch (e) {
      if (watches.get(ch) === entry) watches.delete(ch);
      throw e;
    }
  };
  const releaseWatch = (ch: string) => {
    const w = watches.get(ch);
    if (!w || --w.count > 0) return;
    watches.delete(ch);
    void w.release.then((off) => off()).catch(() => undefined);
  };
  /** Drops the market instruments of `kind` for `c` (all when `only` is absent). */
  const dropMarkets = (c: Client, kind: MarketChannel, only?: ReadonlySet<string>) => {
    const set = c.markets.get(kind);
    if (!set) return;
    for (const ch of [...set]) {
      if (only && !only.has(ch)) continue;
      set.delete(ch);
      if (venueChannel(ch)) releaseWatch(ch);
    }
    if (set.size === 0) {
      c.markets.delete(kind);
      c.channels.delete(kind);
      c.cursors.drop(kind);
    }
  };
  /** Whether a log channel is a venue's (`ws:<kind>:<venue>:<symbol>`), not the replay's. */
  const venueChannel = (ch: string) => venueKeys.has(ch);
  const venueKeys = new Map<string, InstrumentKey>();

  /**
   * Reads an instrument a client names: the replay's id, or `<venue>:<symbol>` of one of the
   * server's venues listing it; a `KairosError` naming it otherwise.
   */
  const instrumentKey = (kind: MarketChannel, key: string): InstrumentKey => {
    if (kind === 'bars' && opts.instruments.some((i) => i.id === key))
      return { key, venue: null, symbol: key };
    const colon = key.indexOf(':');
    if (colon <= 0) {
      const replay = opts.instruments.map((i) => i.id).join(', ');
      throw new KairosError(
        'UNKNOWN_INSTRUMENT',
        kind === 'bars'
          ? `no instrument ${key} on this server (the replay's: ${replay}; a venue's: <venue>:<symbol>)`
          : `no instrument ${key} with ${kind} on this server (a venue's symbol: <venue>:<symbol>; the replay has bars only)`,
      );
    }
    const venue = key.slice(0, colon);
    const symbol = key.slice(colon + 1);
    if (!opts.market)
      throw new KairosError(
        'VENUE_NOT_CONFIGURED',
        `this server has no venue "${venue}" (it has: none; start it with --venue)`,
      );
    opts.market.check(venue, symbol);
    return { key, venue, symbol };
  };

  const unsubscribeBars = opts.bars.subscribe((bar) => {
    // `sentAt` (server ms) lets a client see how far behind it is. One instance feeds the bars
    // (`bars`); a replay started again appends its bars again, as new frames.
    const frame = JSON.stringify({ type: 'bar', bar, sentAt: opts.now() });
    append(barsChannel(bar.instrumentId), 'bars', null, frame);
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
    clearInterval(resync);
    if (syncSoon) clearTimeout(syncSoon);
    unsubscribeBars();
    unsubscribeOrders();
    unsubscribeRisk();
    for (const w of watches.values()) void w.release.then((off) => off()).catch(() => undefined);
    watches.clear();
    for (const c of clients) c.socket.close(1001, 'server stopping');
    await follower.close();
  });

  /** Waits until `c` has taken most of what was sent (a resume pushes in batches). */
  const drained = async (c: Client) => {
    // At most ~30 s; a client that takes nothing meanwhile is closed as a slow consumer by `push`.
    for (let i = 0; i < 3_000; i++) {
      if (c.socket.readyState !== c.socket.OPEN || c.socket.bufferedAmount < DRAINED_BYTES) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  /**
   * Resumes `kind` of channel `ch` for `c` after `after`: the frames it missed, or (past the
   * log's bound, or an `after` this log never reached) a snapshot with `resumed: false` and the
   * frames since it. Answers whether it resumed, and the `seq` the client gets every frame after.
   */
  const resume = async (
    c: Client,
    kind: Channel,
    ch: string,
    key: string,
    after: number,
  ): Promise<[boolean, number]> => {
    const src = resumeSource(c, kind);
    // Held from this tick, the one `c` subscribed in: a live frame handed on while the log is
    // asked would start the channel's place past `after`, and the resume push it again.
    c.cursors.hold(kind, ch, after);
    if (after <= (await log.last(ch)) && (await c.cursors.resume(kind, ch, after, src))) {
      resumes.inc({ result: 'resumed' });
      return [true, after];
    }
    resumes.inc({ result: 'snapshot' });
    return [false, await snapshotThenLive(c, kind, ch, key, true)];
  };

  /** Where a resume of `kind` for `c` reads and pushes. */
  const resumeSource = (c: Client, kind: Channel): ResumeSource => ({
    read: async (channel, afterSeq, limit) => {
      await drained(c);
      return log.read(channel, afterSeq, limit);
    },
    pushed: (channel) => follower.pushed(channel) ?? 0,
    push: (e) => {
      const lf = readLogged(e.payload);
      if (lf && lf.k === kind && sees(c, kind, lf.u, e.channel))
        push(c, JSON.stringify({ ...lf.f, seq: e.seq }));
    },
  });

  /**
   * The state of `key` now (a snapshot, `resumed: false` when a resume fell back to it), then
   * the frames since its `seq` (none twice for state). Answers that `seq`.
   */
  const snapshotThenLive = async (
    c: Client,
    kind: Channel,
    ch: string,
    key: string,
    fellBack: boolean,
  ) => {
    const src = resumeSource(c, kind);
    const claims = c.claims!;
    c.cursors.hold(kind, ch, follower.pushed(ch) ?? 0);
    const seq = follower.pushed(ch) ?? (await log.last(ch));
    c.cursors.hold(kind, ch, seq);
    const vk = venueKeys.get(ch);
    const items =
      vk && isMarket(kind)
        ? [opts.market?.last(kind, vk.venue!, vk.symbol)].filter((x) => x != null)
        : await opts.snapshot(claims, kind, key);
    push(c, {
      type: 'snapshot',
      channel: kind,
      ...(isMarket(kind) ? { instrumentId: key } : { accountId: key }),
      seq,
      ...(fellBack ? { resumed: false } : {}),
      // An account's risk is one value (its state and limits); the others are lists.
      [kind]: kind === 'risk' ? (items[0] ?? null) : items,
    });
    if (!(await c.cursors.resume(kind, ch, seq, src)))
      c.cursors.startAfter(kind, ch, follower.pushed(ch) ?? seq);
    return seq;
  };

  const subscribe = async (
    c: Client,
    kind: Channel,
    after: Readonly<Record<string, number>> | undefined,
    instruments: readonly string[] | undefined,
  ) => {
    const claims = c.claims!;
    if (!isMarket(kind)) {
      if (instruments)
        return error(c, 'WS_BAD_MESSAGE', `message.instruments: only for bars, trades and book`);
      const keys = accountsOf(claims, kind);
      for (const key of Object.keys(after ?? {}))
        if (!keys.includes(key))
          return error(c, 'ACCOUNT_NOT_FOUND', `after.${key}: account ${key} not found`);
      try {
        return await subscribeTo(
          c,
          kind,
          after,
          keys.map((key) => [key, logChannelOf(kind, key)]),
        );
      } catch (e) {
        // Nothing of the channel is left half-subscribed (the server retries the whole).
        c.channels.delete(kind);
        c.cursors.drop(kind);
        throw e;
      }
    }
    // The instruments named, else (bars) the replay's; those resumed are subscribed too.
    const names = [
      ...new Set([
        ...(instruments ?? (kind === 'bars' ? opts.instruments.map((i) => i.id) : [])),
        ...Object.keys(after ?? {}),
      ]),
    ];
    if (names.length === 0)
      return error(c, 'WS_BAD_MESSAGE', `message.instruments: required for ${kind}`);
    const keys: InstrumentKey[] = [];
    for (const name of names) {
      try {
        keys.push(instrumentKey(kind, name));
      } catch (e) {
        if (!(e instanceof KairosError)) throw e;
        const field =
          after && Object.hasOwn(after, name) && !instruments?.includes(name)
            ? `after.${name}`
            : `instruments[${(instruments ?? []).indexOf(name)}]`;
        return error(c, e.code, `${field}: ${e.message}`);
      }
    }
    const had = c.markets.get(kind) ?? new Set<string>();
    const pairs = keys.map((k): [string, string] => [
      k.key,
      marketChannel(kind, k.venue, k.symbol),
    ]);
    // The venue streams first (a venue that does not answer: nothing subscribed).
    const acquired: string[] = [];
    try {
      for (const k of keys) {
        const ch = marketChannel(kind, k.venue, k.symbol);
        if (k.venue === null || had.has(ch)) continue;
        venueKeys.set(ch, k);
        await acquire(kind, k, ch);
        acquired.push(ch);
      }
    } catch (e) {
      for (const ch of acquired) releaseWatch(ch);
      const code = e instanceof KairosError ? e.code : 'VENUE_UNAVAILABLE';
      return error(c, code, `${kind}: the venue's stream did not start: ${(e as Error).message}`);
    }
    try {
      return await subscribeTo(c, kind, after, pairs, had, instruments !== undefined);
    } catch (e) {
      // The instruments asked leave (their venue streams released); the others keep their place.
      for (const ch of acquired) if (!c.markets.get(kind)?.has(ch)) releaseWatch(ch);
      dropMarkets(c, kind, new Set(pairs.map(([, ch]) => ch)));
      throw e;
    }
  };

  /**
   * Subscribes `c` to `kind` of each `[key, log channel]`: live from now on, or resumed after
   * `after[key]`. `had`: the market channels `c` had already (they keep their place).
   */
  const subscribeTo = async (
    c: Client,
    kind: Channel,
    after: Readonly<Record<string, number>> | undefined,
    pairs: readonly (readonly [string, string])[],
    had?: ReadonlySet<string>,
    named = false,
  ) => {
    const fresh = had ? pairs.map(([, ch]) => ch).filter((ch) => !had.has(ch)) : [];
    c.pending.add(kind);
    for (const ch of fresh) c.pendingMarkets.add(ch);
    try {
      await sync(false);
    } finally {
      c.pending.delete(kind);
      for (const ch of fresh) c.pendingMarkets.delete(ch);
    }
    // Live from here for every channel not resumed, in this same tick as the subscription (a
    // channel subscribed already keeps its place: a resume of another loses none of its frames).
    const wasSubscribed = (ch: string) => (had ? had.has(ch) : c.channels.has(kind));
    const before = new Map(pairs.map(([, ch]) => [ch, wasSubscribed(ch)]));
    c.channels.add(kind);
    if (isMarket(kind)) {
      const set = c.markets.get(kind) ?? new Set<string>();
      for (const [, ch] of pairs) set.add(ch);
      c.markets.set(kind, set);
    }
    // Per key started here, the `seq` after which the client gets every frame.
    const from = new Map<string, number>();
    const resumes: Promise<[string, boolean]>[] = [];
    const snapshots: Promise<void>[] = [];
    for (const [key, ch] of pairs) {
      const start = after?.[key];
      if (start === undefined) {
        if (before.get(ch)) continue;
        // `risk` starts with the account's state and limits now; the others with what comes.
        if (kind === 'risk')
          snapshots.push(
            snapshotThenLive(c, kind, ch, key, false).then((seq) => void from.set(key, seq)),
          );
        else {
          from.set(key, follower.pushed(ch) ?? 0);
          c.cursors.startAfter(kind, ch, from.get(key)!);
        }
      } else
        resumes.push(
          resume(c, kind, ch, key, start).then(([ok, seq]) => {
            from.set(key, seq);
            return [key, ok];
          }),
        );
    }
    await Promise.all(snapshots);
    const resumed = Object.fromEntries(await Promise.all(resumes));
    push(c, {
      type: 'subscribed',
      channel: kind,
      ...(named ? { instruments: pairs.map(([key]) => key) } : {}),
      ...(after ? { resumed } : {}),
      from: Object.fromEntries(
        pairs.flatMap(([key]) => (from.has(key) ? [[key, from.get(key)]] : [])),
      ),
    });
  };

  const error = (c: Client, code: string, detail: string) =>
    push(c, { type: 'error', code, detail });

  /**
   * Runs a `subscribe`, the client's or the server's retry of one. One the event log does not
   * answer (Redis away or late) leaves nothing of it subscribed and is retried with backoff
   * (`SubscribeRetries`) until it goes through (`subscribed`, whose `from` says after which `seq`
   * the client gets every frame) or the attempts run out: then the socket closes with 1013. The
   * client is told once, at its own `subscribe` (`retrying: true`); never a silent socket.
   */
  const attempt = async (c: Client, kind: Channel, asked: SubscribeRequest, retry: boolean) => {
    // A retry is of what waits now (an `unsubscribe` queued before it may have dropped it).
    const request = retry ? c.retries.request(kind) : asked;
    if (!request || c.socket.readyState !== c.socket.OPEN) return;
    try {
      await subscribe(c, kind, request.after, request.instruments);
      // A retry went through (the client's own `subscribe` leaves a waiting one as it is: it may
      // name other instruments), so the log answers again: the client's others need not wait.
      if (retry) {
        c.retries.answered(kind);
        c.retries.now();
      }
    } catch (e) {
      warn('event log: subscribe failed', { channel: kind, retry, err: e });
      // A retry names the instruments (bars without them: the replay's), so an `unsubscribe`
      // of some of them narrows it.
      const named =
        isMarket(kind) && request.instruments === undefined
          ? { ...request, instruments: kind === 'bars' ? opts.instruments.map((i) => i.id) : [] }
          : request;
      const outcome = c.retries.failed(kind, named);
      if (outcome === 'retrying' && !retry)
        push(c, {
          type: 'error',
          code: 'CACHE_UNAVAILABLE',
          channel: kind,
          retrying: true,
          detail: `${kind}: the event log did not answer; the server subscribes again by itself: "subscribed" follows, or a close (1013)`,
        });
      if (outcome === 'gave-up') {
        push(c, {
          type: 'error',
          code: 'CACHE_UNAVAILABLE',
          channel: kind,
          retrying: false,
          detail: `${kind}: the event log did not answer the subscription or its retries; closing (1013): reconnect and resume with "after"`,
        });
        c.socket.close(1013, 'event log unavailable: try again later');
      }
    } finally {
      // Closed meanwhile: what it subscribed (a venue stream) is released with the rest.
      if (c.socket.readyState !== c.socket.OPEN)
        for (const k of [...c.markets.keys()]) dropMarkets(c, k);
    }
  };

  app.get('/ws', { websocket: true }, (socket) => {
    const c: Client = {
      socket,
      claims: null,
      channels: new Set(),
      pending: new Set(),
      markets: new Map(),
      pendingMarkets: new Set(),
      cursors: new ClientCursors(),
      // Each retry is queued behind the client's messages, like the `subscribe` it repeats.
      retries: new SubscribeRetries<Channel>(
        opts.subscribeRetry ?? SUBSCRIBE_RETRY,
        (kind) => {
          c.work = c.work.then(() => attempt(c, kind, {}, true)).catch(failed);
        },
        (delta) => retrying.add(delta),
      ),
      work: Promise.resolve(),
      expiry: null,
      alive: true,
    };
    clients.add(c);
    connected.set(clients.size);
    const authDeadline = setTimeout(() => {
      if (!c.claims) socket.close(4401, 'authenticate first');
    }, WS_LIMITS.authTimeoutMs);

    socket.on('pong', () => (c.alive = true));
    // A protocol error (bad UTF-8, an oversized frame) closes this socket; it is not ours to throw.
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      clients.delete(c);
      connected.set(clients.size);
      clearTimeout(authDeadline);
      c.retries.close();
      for (const kind of [...c.markets.keys()]) dropMarkets(c, kind);
      if (c.expiry) clearTimeout(c.expiry);
      requestSync();
    });
    // Nothing a client sends may escape this handler: a bug answers INTERNAL and closes this one
    // socket, never the process.
    const failed = (e: unknown) => {
      opts.logger?.error('websocket handler error', { err: e });
      error(c, 'INTERNAL', 'internal error');
      socket.close(1011, 'internal error');
    };
    socket.on('message', (raw, isBinary) => {
      try {
        const parsed = readFrame(raw, isBinary);
        if (!parsed.ok) return error(c, 'WS_BAD_MESSAGE', parsed.detail);
        // One message at a time, in order: a subscription resumes before the next one starts.
        const msg = parsed.message;
        c.work = c.work.then(() => onMessage(msg)).catch(failed);
      } catch (e) {
        failed(e);
      }
    });
    const onMessage = async (msg: WsMessage): Promise<void> => {
      if (msg.type === 'auth') {
        let claims: AccessClaims;
        try {
          claims = opts.tokens.verifyAccess(msg.token);
        } catch (e) {
          error(c, 'AUTH_INVALID_TOKEN', (e as Error).message);
          return socket.close(4401, 'invalid token');
        }
        if (c.claims && c.claims.sub !== claims.sub) {
          return error(c, 'WS_BAD_MESSAGE', 'token: belongs to another user');
        }
        c.claims = claims;
        // A role that lost a channel's permission (a refreshed token) leaves the channel.
        for (const ch of c.channels)
          if (!can(claims.role, CHANNEL_PERMISSION[ch])) {
            if (isMarket(ch)) dropMarkets(c, ch);
            c.channels.delete(ch);
            c.cursors.drop(ch);
          }
        for (const ch of Object.keys(CHANNEL_PERMISSION) as Channel[])
          if (!can(claims.role, CHANNEL_PERMISSION[ch])) c.retries.cancel(ch);
        if (c.expiry) clearTimeout(c.expiry);
        c.expiry = setTimeout(
          () => socket.close(4401, 'token expired'),
          Math.max(0, Math.min(claims.exp * 1000 - opts.now(), MAX_TIMER_MS)),
        );
        return push(c, { type: 'authenticated', expiresAt: claims.exp * 1000 });
      }
      if (!c.claims) return error(c, 'AUTH_REQUIRED', 'authenticate first');
      const channel = msg.channel;
      const permission = CHANNEL_PERMISSION[channel];
      if (!can(c.claims.role, permission)) {
        return error(
          c,
          'FORBIDDEN',
          `role ${c.claims.role} may not ${permission} (channel ${channel})`,
        );
      }
      if (msg.type === 'subscribe') {
        // Subscribed already, without a resume or new instruments: nothing changes.
        if (c.channels.has(channel) && !msg.after && !msg.instruments)
          return push(c, { type: 'subscribed', channel });
        return attempt(c, channel, { after: msg.after, instruments: msg.instruments }, false);
      }
      // A retry waiting for the log is dropped with what it would have subscribed.
      if (isMarket(channel) && msg.instruments) c.retries.narrow(channel, msg.instruments);
      else c.retries.cancel(channel);
      if (isMarket(channel) && msg.instruments) {
        const only = new Set<string>();
        for (const name of msg.instruments) {
          const colon = name.indexOf(':');
          only.add(
            opts.instruments.some((i) => i.id === name) || colon <= 0
              ? marketChannel(channel, null, name)
              : marketChannel(channel, name.slice(0, colon), name.slice(colon + 1)),
          );
        }
        dropMarkets(c, channel, only);
      } else {
        if (isMarket(channel)) dropMarkets(c, channel);
        c.channels.delete(channel);
        c.cursors.drop(channel);
      }
      requestSync();
      push(c, {
        type: 'unsubscribed',
        channel,
        ...(msg.instruments ? { instruments: msg.instruments } : {}),
      });
    };
  });
};

/** The most venue streams (kind and symbol) the clients of one instance keep subscribed. */
export const MAX_VENUE_STREAMS = 300;

/** How long a channel no client wants any more stays followed. */
const UNWANTED_KEPT_MS = 60_000;

/** Below this many bytes queued, a resume pushes its next batch. */
const DRAINED_BYTES = WS_LIMITS.maxBufferedBytes / 4;

const KINDS: ReadonlySet<string> = new Set(Object.keys(CHANNEL_PERMISSION));

/** A logged frame, checked: the log may be shared, so it is read as untrusted input. */
function readLogged(payload: string): LoggedFrame | null {
  try {
    const v = JSON.parse(payload) as Partial<LoggedFrame> | null;
    if (
      v === null ||
      typeof v !== 'object' ||
      typeof v.k !== 'string' ||
      !KINDS.has(v.k) ||
      !(v.u === null || typeof v.u === 'string') ||
      typeof v.f !== 'object' ||
      v.f === null ||
      typeof v.f.type !== 'string'
    )
      return null;
    return v as LoggedFrame;
  } catch {
    return null;
  }
}

/** The position and balance frames after a fill (null when the account's ledger is not here). */
function portfolioFrames(
  e: Extract<OrderEvent, { kind: 'OrderFilled' }>,
  opts: Pick<WsGatewayOptions, 'portfolio' | 'instruments' | 'instrumentsOf'>,
): { position: string; balances: string[] } | null {
  const src = opts.portfolio(e.accountId);
  const p = src?.ledger.allPositions().find((x) => x.instrumentId === e.fill.instrumentId);
  if (!src || !p) return null;
  const instruments = opts.instrumentsOf?.(e.accountId) ?? opts.instruments;
  const quote = instruments.find((i) => i.id === e.fill.instrumentId)?.quote;
  const accountId = e.accountId;
  return {
    position: JSON.stringify({
      type: 'position',
      accountId,
      position: positionView(accountId, p, src.lastPrice(p.instrumentId)),
    }),
    balances: balanceViews(accountId, src, instruments, quote).map((balance) =>
      JSON.stringify({ type: 'balance', accountId, balance }),
    ),
  };
}

/**
 * A venue's market item as a frame (`bar`, `trade`, `book`, each naming its venue) and the key
 * that names it in the log (`once`): the bar's open time, the trade id, the book's update.
 */
function marketFrame(
  kind: MarketChannel,
  venue: string,
  item: Bar | TradeTick | BookTop,
  sentAt: number,
): [string, string] {
  switch (kind) {
    case 'bars': {
      const bar = item as Bar;
      return [JSON.stringify({ type: 'bar', venue, bar, sentAt }), `${bar.openTime}`];
    }
    case 'trades': {
      const t = item as TradeTick;
      return [JSON.stringify({ type: 'trade', venue, trade: t, sentAt }), t.tradeId];
    }
    case 'book': {
      const b = item as BookTop;
      const { update, ...book } = b;
      return [
        JSON.stringify({ type: 'book', venue, book, sentAt }),
        update ?? `${b.ts}:${b.bid}:${b.bidSize}:${b.ask}:${b.askSize}`,
      ];
    }
    default:
      return kind satisfies never;
  }
}

/**
 * The frames of one order event: the order (made on the first call, the same text after: orders
 * are immutable values, so it is the order as this event left it whenever it is made), and the
 * fill when it is one (as `GET /fills` shows it).
 */
function orderFrames(e: OrderEvent, order: Order): { order: () => string; fill: string | null } {
  const kind = e.kind;
  let text: string | undefined;
  return {
    order: () =>
      (text ??= JSON.stringify({
        type: 'order',
        kind,
        accountId: order.accountId,
        order: orderView(order),
      })),
    fill:
      e.kind === 'OrderFilled'
        ? JSON.stringify({ type: 'fill', accountId: order.accountId, fill: fillView(e.fill) })
        : null,
  };
}
