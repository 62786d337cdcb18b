import websocket from '@fastify/websocket';
import type { Duplex } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { WebSocket } from 'ws';
import { AddressSlots, WS_MAX_CONNECTIONS_PER_ADDRESS } from './ws-address-slots.js';
import { METRICS } from '../monitoring/metric-catalogue.js';
import { MemoryEventLog } from '../scalability/bus/memory-event-log.js';
import { noopMetrics } from '../trading/core/metrics.js';
import { authenticate, channelRefusal } from './ws-auth.js';
import { pushTo } from './ws-back-pressure.js';
import type { Channel } from './ws-channels.js';
import { channelsOf, closeThenCut, WS_LIMITS, type WsClient } from './ws-client.js';
import { ClientCursors } from './ws-cursors.js';
import { FrameLog } from './ws-frame-log.js';
import { appendFrameSources } from './ws-frame-sources.js';
import type { WsGatewayOptions } from './ws-gateway-options.js';
import { readFrame, type WsMessage } from './ws-messages.js';
import { sendProblem, writeRawProblem } from './problem.js';
import { Resumes } from './ws-resume.js';
import { SubscribeAttempts } from './ws-subscribe-attempts.js';
import { SUBSCRIBE_RETRY, SubscribeRetries } from './ws-subscribe-retries.js';
import { Subscriptions } from './ws-subscriptions.js';
import { VenueWatches } from './ws-venue-watches.js';

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
 *
 * The parts: `ws-frame-log.ts` (append, follow, fan out), `ws-frame-sources.ts` (what this
 * instance's events append), `ws-venue-watches.ts` (venue streams), `ws-subscriptions.ts`,
 * `ws-subscribe-attempts.ts` (retried while the log is away), `ws-resume.ts`, `ws-auth.ts`.
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
  const clients = new Set<WsClient>();
  const metrics = opts.metrics ?? noopMetrics;
  const connected = metrics.gauge(METRICS.wsClients);
  const dropped = metrics.counter(METRICS.wsDropped);
  const resumes = metrics.counter(METRICS.wsResumes);
  const logErrors = metrics.counter(METRICS.wsLogErrors);
  const retrying = metrics.gauge(METRICS.wsSubscribeRetries);
  const refused = metrics.counter(METRICS.wsRefused);
  refused.inc({}, 0);
  const slots = new AddressSlots(opts.maxConnectionsPerAddress ?? WS_MAX_CONNECTIONS_PER_ADDRESS);
  connected.set(0);
  retrying.set(0);
  dropped.inc({}, 0);
  const warn = (message: string, fields: Record<string, unknown>) =>
    opts.logger?.warn(message, fields);
  const push = (c: WsClient, message: unknown) => pushTo(c, message, dropped);
  const error = (c: WsClient, code: string, detail: string) =>
    push(c, { type: 'error', code, detail });

  const frames = new FrameLog({
    log: opts.log ?? new MemoryEventLog(),
    clients,
    push,
    channelsOf: (c, kind) => channelsOf(opts, c, kind),
    now: () => opts.now(),
    warn,
    logErrors,
  });
  const stopSources = appendFrameSources(opts, frames);
  const watches = new VenueWatches({
    market: opts.market,
    append: (...frame) => frames.append(...frame),
    now: () => opts.now(),
  });
  const resumer = new Resumes({ gateway: opts, frames, watches, push, resumes });
  const subscriptions = new Subscriptions({ gateway: opts, frames, watches, resumer, push });
  const attempts = new SubscribeAttempts({
    subscriptions,
    instruments: opts.instruments,
    push,
    warn,
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
    frames.stopSyncing();
    stopSources();
    watches.releaseAll();
    for (const c of clients) c.socket.close(1001, 'server stopping');
    await frames.close();
  });

  // A handshake `ws` refuses (a bad key, version or subprotocol list): a problem, not its text/html.
  app.websocketServer.on('wsClientError', (err: Error, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    writeRawProblem(
      socket,
      'BAD_REQUEST',
      `WebSocket handshake: ${err.message}`,
      /Version/.test(err.message) ? { 'sec-websocket-version': '13, 8' } : {},
    );
  });

  app.route({
    method: 'GET',
    url: '/ws',
    schema: { hide: true },
    // An upgrade takes a slot of its client address (`req.ip`: X-Forwarded-For from a trusted
    // proxy), held until its socket closes; over the limit it is refused 429 before the upgrade.
    onRequest: (req, reply, done) => {
      if (!req.ws) return done();
      const address = req.ip;
      if (!slots.take(address)) {
        refused.inc();
        return void sendProblem(
          reply,
          'WS_CONNECTION_LIMIT',
          `GET /ws: this address has ${slots.max} WebSocket connections open, the most allowed; close one first`,
        );
      }
      req.raw.socket.once('close', () => slots.release(address));
      done();
    },
    // A plain HTTP request (no upgrade): 426 as a problem (the plugin's own answer: an empty 404).
    handler: (_req, reply) =>
      sendProblem(
        reply.header('upgrade', 'websocket'),
        'UPGRADE_REQUIRED',
        'GET /ws: only a WebSocket upgrade is served here (Upgrade: websocket)',
      ),
    wsHandler: (socket) => connect(socket),
  });

  const connect = (socket: WebSocket): void => {
    const c: WsClient = {
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
          c.work = c.work.then(() => attempts.attempt(c, kind, {}, true)).catch(failed);
        },
        (delta) => retrying.add(delta),
      ),
      work: Promise.resolve(),
      expiry: null,
      alive: true,
    };
    clients.add(c);
    connected.set(clients.size);
    // A socket not authenticated in time is closed (4401), and cut after the grace if its peer
    // does not answer: ws would wait 30 s for it, holding its address's slot.
    const authDeadline = setTimeout(() => {
      if (!c.claims) closeThenCut(socket, 4401, 'authenticate first');
    }, opts.authTimeoutMs ?? WS_LIMITS.authTimeoutMs);

    socket.on('pong', () => (c.alive = true));
    // A protocol error (bad UTF-8, an oversized frame) closes this socket; it is not ours to throw.
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      clients.delete(c);
      connected.set(clients.size);
      clearTimeout(authDeadline);
      c.retries.close();
      for (const kind of [...c.markets.keys()]) subscriptions.dropMarkets(c, kind);
      if (c.expiry) clearTimeout(c.expiry);
      frames.requestSync();
    });
    // Nothing a client sends may escape this handler: a bug answers INTERNAL and closes this one
    // socket, never the process.
    const failed = (e: unknown) => {
      opts.logger?.error('websocket handler error', { err: e });
      error(c, 'INTERNAL', 'internal error');
      closeThenCut(socket, 1011, 'internal error');
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
      if (msg.type === 'auth')
        return authenticate({ gateway: opts, subscriptions, push }, c, msg.token);
      const channel = msg.channel;
      const refused = channelRefusal(c, channel);
      if (refused) return error(c, ...refused);
      if (msg.type === 'subscribe') {
        // Subscribed already, without a resume or new instruments: nothing changes.
        if (c.channels.has(channel) && !msg.after && !msg.instruments)
          return push(c, { type: 'subscribed', channel });
        return attempts.attempt(
          c,
          channel,
          { after: msg.after, instruments: msg.instruments },
          false,
        );
      }
      subscriptions.unsubscribe(c, channel, msg.instruments);
    };
  };
};
