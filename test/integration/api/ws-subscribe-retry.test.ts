import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { VenueMarketStreams } from '../../../src/api/ws-gateway-options.js';
import type { SubscribeRetryPolicy } from '../../../src/api/ws-subscribe-retries.js';
import { MemoryMetrics } from '../../../src/monitoring/memory-metrics.js';
import { RedisEventLog } from '../../../src/scalability/bus/redis-event-log.js';
import { connectRedis } from '../../../src/scalability/connections.js';
import { KairosError } from '../../../src/trading/core/errors.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { PrivateRedis } from '../../support/private-services.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';
import { gatewayApp, minuteBar } from '../../support/ws-gateway-app.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON frames
type Frame = any;

const bar = minuteBar;
const RETRIES = 'kairos_ws_subscribe_retries';

/**
 * A `subscribe` the event log (a Redis of the test's own, stopped and started again) does not
 * answer: the server retries it with backoff and answers `subscribed` once the log is back (then
 * the frames), or closes with 1013 past its attempts; a client never sits on a silent socket,
 * and nothing of a closed socket waits (`docs/api.md`, "WebSocket").
 */
describe('WebSocket subscribe while the event log is down', () => {
  let redis: PrivateRedis;
  let client: Redis;
  let log: RedisEventLog;
  const apps: FastifyInstance[] = [];
  const gateway = async (
    subscribeRetry: SubscribeRetryPolicy,
    market?: VenueMarketStreams,
  ): Promise<{ url: string; metrics: MemoryMetrics; emit: (b: Bar) => void }> => {
    const metrics = new MemoryMetrics();
    const { app, url, emit } = await gatewayApp({
      log,
      metrics,
      subscribeRetry,
      ...(market ? { market } : {}),
    });
    apps.push(app);
    return { url, metrics, emit };
  };

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    client = await connectRedis(redis.url);
    log = new RedisEventLog(client, { prefix: `test:${randomUUID()}:` });
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  it('retries by itself: subscribed once Redis is back, with where the stream starts, then every frame', async () => {
    const { url, metrics, emit } = await gateway({ initialMs: 20, maxMs: 200, attempts: 10_000 });
    const ws = await subscribedSocket<Frame>(url, 't', []);
    await redis.stop();
    ws.send({ type: 'subscribe', channel: 'bars' });
    const e = await until(() => ws.frames.find((f) => f.type === 'error'), 10_000, 'the error');
    expect(e).toMatchObject({
      code: 'CACHE_UNAVAILABLE',
      channel: 'bars',
      retrying: true,
    });
    expect(metrics.value(RETRIES)).toBe(1);
    expect(ws.frames.some((f) => f.type === 'subscribed')).toBe(false);

    redis = await PrivateRedis.start(redis.port);
    const sub = await until(
      () => ws.frames.find((f) => f.type === 'subscribed'),
      20_000,
      'subscribed after Redis came back',
    );
    // The log restarted empty: the client is owed every frame after seq 0.
    expect(sub).toEqual({
      type: 'subscribed',
      channel: 'bars',
      instruments: ['BTC/X'],
      from: { 'BTC/X': 0 },
    });
    expect(metrics.value(RETRIES)).toBe(0);
    for (const i of [1, 2, 3]) emit(bar(i));
    await until(() => ws.frames.filter((f) => f.type === 'bar').length === 3, 10_000, 'the bars');
    expect(ws.frames.filter((f) => f.type === 'bar').map((f) => [f.seq, f.bar.close])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(ws.open()).toBe(true);
    ws.close();
  });

  it('past its attempts: says so and closes with 1013 (Try Again Later), nothing left waiting', async () => {
    const { url, metrics } = await gateway({ initialMs: 5, maxMs: 20, attempts: 3 });
    const ws = await subscribedSocket<Frame>(url, 't', []);
    await redis.stop();
    try {
      ws.send({ type: 'subscribe', channel: 'bars', after: { 'BTC/X': 7 } });
      const closed = await until(() => ws.closed(), 20_000, 'the close');
      expect(closed).toEqual({ code: 1013, reason: 'event log unavailable: try again later' });
      expect(
        ws.frames.filter((f) => f.type === 'error').map((f) => [f.code, f.channel, f.retrying]),
      ).toEqual([
        ['CACHE_UNAVAILABLE', 'bars', true],
        ['CACHE_UNAVAILABLE', 'bars', false],
      ]);
      expect(ws.frames.some((f) => f.type === 'subscribed')).toBe(false);
      expect(metrics.value(RETRIES)).toBe(0);
    } finally {
      redis = await PrivateRedis.start(redis.port);
    }
  });

  it('hostile subscribe/unsubscribe sequences during the outage: no crash, and a close releases every retry and stream', async () => {
    // Retries an hour apart: a timer the close did not clear would keep the gauge up.
    const hour = 3_600_000;
    const open = new Map<string, number>();
    const market: VenueMarketStreams = {
      check: (venue, symbol) => {
        if (venue !== 'sim') throw new KairosError('VENUE_NOT_CONFIGURED', `no venue ${venue}`);
        if (!['BTC/USDT', 'ETH/USDT'].includes(symbol))
          throw new KairosError('UNKNOWN_INSTRUMENT', `no ${symbol}`);
      },
      watch: async (kind, venue, symbol) => {
        const key = `${kind}:${venue}:${symbol}`;
        open.set(key, (open.get(key) ?? 0) + 1);
        return () => {
          const n = (open.get(key) ?? 0) - 1;
          if (n > 0) open.set(key, n);
          else open.delete(key);
        };
      },
      last: () => null,
    };
    const { url, metrics } = await gateway({ initialMs: hour, maxMs: hour, attempts: 5 }, market);
    await redis.stop();
    const channels = ['orders', 'fills', 'bars', 'trades', 'book', 'positions', 'balances', 'risk'];
    const names = ['BTC/X', 'ETH/X', 'sim:BTC/USDT', 'sim:ETH/USDT', 'bad:X', '__proto__'];
    const instruments = fc.option(fc.uniqueArray(fc.constantFrom(...names), { maxLength: 4 }), {
      nil: undefined,
    });
    const after = fc.option(fc.dictionary(fc.constantFrom(...names), fc.nat(20), { maxKeys: 3 }), {
      nil: undefined,
    });
    const message: fc.Arbitrary<string | Readonly<Record<string, unknown>>> = fc.oneof(
      fc.record({
        type: fc.constant('subscribe'),
        channel: fc.constantFrom(...channels),
        instruments,
        after,
      }),
      fc.record({
        type: fc.constant('unsubscribe'),
        channel: fc.constantFrom(...channels),
        instruments,
      }),
      fc.constant({ type: 'auth', token: 't' }),
      fc.constantFrom('null', '{', '[]', '{"type":"subscribe"}', 'x'.repeat(100)),
    );
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(message, { maxLength: 30 }), async (messages) => {
          const ws = await subscribedSocket<Frame>(url, 't', []);
          for (const m of messages) {
            if (typeof m === 'string') ws.sendRaw(m);
            else ws.send(JSON.parse(JSON.stringify(m)));
          }
          // Every message is answered (the socket is never silent), in order; the first frame
          // answers the auth.
          await until(
            () => ws.frames.length >= messages.length + 1,
            20_000,
            'every message answered',
          );
          expect(ws.frames.filter((f) => f.code === 'INTERNAL')).toEqual([]);
          expect(ws.open()).toBe(true);
          ws.close();
          await until(() => metrics.value('kairos_ws_clients') === 0, 10_000, 'closed');
          await until(() => metrics.value(RETRIES) === 0, 10_000, 'no retry left waiting');
          await until(() => open.size === 0, 10_000, 'every venue stream released');
        }),
        {
          numRuns: 40,
          // Besides the random ones: retries waiting at the close, of an account channel and of
          // venue streams (acquired, then released with the failed subscription).
          examples: [
            [[{ type: 'subscribe', channel: 'bars' }]],
            [
              [
                { type: 'subscribe', channel: 'trades', instruments: ['sim:BTC/USDT'] },
                { type: 'subscribe', channel: 'orders' },
                { type: 'unsubscribe', channel: 'trades', instruments: ['sim:ETH/USDT'] },
                {
                  type: 'subscribe',
                  channel: 'book',
                  instruments: ['sim:ETH/USDT'],
                  after: { 'sim:ETH/USDT': 3 },
                },
              ],
            ],
          ],
        },
      );
      // Still serving.
      const fresh = await subscribedSocket<Frame>(url, 't', []);
      await until(() => fresh.frames.some((f) => f.type === 'authenticated'), 10_000, 'auth');
      fresh.close();
    } finally {
      redis = await PrivateRedis.start(redis.port);
    }
  });
});
