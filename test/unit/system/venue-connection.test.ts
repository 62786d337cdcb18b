import fc from 'fast-check';
import type { Exchange } from 'ccxt';
import { serveVenues } from '../../../src/cli/serve-command.js';
import { feedVenueSetting } from '../../../src/cli/venue-feed.js';
import { MemoryBudget } from '../../../src/scalability/rate-limit/memory-budget.js';
import { loadConfig } from '../../../src/system/config.js';
import {
  openPrivateConnection,
  venueExchangeConfig,
  type PrivateConnection,
} from '../../../src/system/venue-connection.js';
import { ClockSkew } from '../../../src/trading/venues/ccxt/clock-skew.js';
import { createExchange } from '../../../src/trading/venues/ccxt/exchange-factory.js';
import { venueClientIds } from '../../../src/trading/venues/ccxt/venue-client-ids.js';

/** ccxt venues with a ccxt.pro class, of every client-id rule family. */
const VENUES = [
  'binance',
  'okx',
  'bybit',
  'kraken',
  'gate',
  'bitstamp',
  'gemini',
  'kucoin',
  'coinbase',
  'bitfinex',
  'htx',
  'cryptocom',
  'deribit',
  'hyperliquid',
  'woo',
  'bingx',
] as const;

/** What a ccxt client of a connection is configured with: every option a venue setting sets. */
function clientConfig(ex: Exchange) {
  const o = ex.options as Record<string, unknown>;
  return {
    id: ex.id,
    urls: JSON.stringify(ex.urls.api),
    rateLimit: ex.rateLimit,
    enableRateLimit: ex.enableRateLimit,
    timeout: ex.timeout,
    keys: [ex.apiKey, ex.secret, ex.password],
    options: {
      maxRetriesOnFailure: o.maxRetriesOnFailure,
      recvWindow: o.recvWindow,
      timeDifference: o.timeDifference,
      fetchMarkets: o.fetchMarkets,
      fetchOrder: o.fetchOrder,
      ws: (o.ws as { backoff?: unknown } | undefined)?.backoff,
    },
    clientIds: venueClientIds(ex.id).createParams('sma-cross-12'),
  };
}

const connectionConfig = (c: PrivateConnection) => ({
  rest: clientConfig(c.rest.exchange),
  gate: c.rest.gate !== null,
  stream: clientConfig(c.stream),
  circuitHalfOpenMs: c.circuitHalfOpenMs,
});

/** A venue clock `offsetMs` ahead of ours (a `ClockSkew` measured against a stub `fetchTime`). */
async function measuredSkew(offsetMs: number, rttMs: number): Promise<ClockSkew> {
  let t = 1_700_000_000_000;
  const venue = {
    id: 'stub',
    options: { recvWindow: 10_000 },
    fetchTime: () => Promise.resolve(t + rttMs / 2 + offsetMs),
  } as unknown as Exchange;
  const skew = new ClockSkew(venue, { now: () => (t += rttMs / 2) });
  await skew.measure();
  return skew;
}

/** A connection built, with its configuration, or the error building it. */
async function outcome(build: () => Promise<PrivateConnection>) {
  try {
    const conn = await build();
    return { conn, config: connectionConfig(conn), error: undefined };
  } catch (e) {
    return { conn: undefined, config: undefined, error: (e as Error).message };
  }
}

const url = fc.constantFrom(
  'http://127.0.0.1:9444',
  'https://sandbox.example.com',
  'http://sim:80/',
);

describe('one venue, two paths: kairos live and a served live account build the same clients', () => {
  it('from any venue and options: the same setting, REST and private-stream configuration', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          id: fc.constantFrom(...VENUES),
          envUrl: fc.option(url, { nil: undefined }),
          flagUrl: fc.option(url, { nil: undefined }),
          rateLimitMs: fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }),
          circuitMs: fc.option(fc.integer({ min: 1, max: 600_000 }), { nil: undefined }),
          password: fc.option(fc.constant('pass'), { nil: undefined }),
          sandbox: fc.boolean(),
          offsetMs: fc.integer({ min: -120_000, max: 120_000 }),
          rttMs: fc.integer({ min: 0, max: 2_000 }),
        }),
        async (a) => {
          const config = loadConfig({
            EXCHANGE_URL: a.envUrl,
            EXCHANGE_RATE_LIMIT_MS: a.rateLimitMs?.toString(),
            EXCHANGE_CIRCUIT_HALF_OPEN_MS: a.circuitMs?.toString(),
            EXCHANGE_SANDBOX: a.sandbox ? '1' : '0',
          });
          const keys = {
            apiKey: 'key',
            secret: 'secret',
            ...(a.password ? { password: a.password } : {}),
          };
          const served = serveVenues(
            { venue: [a.id], venueSymbol: [], ...(a.flagUrl ? { exchangeUrl: a.flagUrl } : {}) },
            config,
          )[0]!;
          const live = feedVenueSetting(config, {
            exchange: a.id,
            ...(a.flagUrl ? { exchangeUrl: a.flagUrl } : {}),
          });
          expect(live).toEqual(served);
          const skew = await measuredSkew(a.offsetMs, a.rttMs);
          const budget = () => ({
            budget: new MemoryBudget({ rule: { capacity: 1000, intervalMs: 60_000 } }),
          });
          // Serve: `ServerVenues.connect` builds both clients; live: its feed's REST client
          // (`openVenueFeed`), then the stream beside it (`VenueFeed.connectPrivate`).
          const serve = () => openPrivateConnection(served, keys, budget(), skew);
          const viaLive = async () => {
            const liveBudget = budget();
            const feedRest = await createExchange(venueExchangeConfig(live, keys, liveBudget));
            return openPrivateConnection(live, keys, liveBudget, skew, feedRest);
          };
          const [l, s] = [await outcome(viaLive), await outcome(serve)];
          try {
            expect([l.config, l.error]).toEqual([s.config, s.error]);
            // A sandbox ccxt does not know is refused alike, naming the setting.
            if (s.error !== undefined) expect(s.error).toMatch(/^EXCHANGE_SANDBOX: /);
            else {
              // Both are in the venue's time, the stream too (signed WebSocket logins).
              expect(l.conn!.stream.options.timeDifference).toBe(-skew.last!.offsetMs);
              expect(s.conn!.stream.options.timeDifference).toBe(-skew.last!.offsetMs);
              expect(l.conn!.rest.exchange.isSandboxModeEnabled).toBe(a.sandbox);
            }
          } finally {
            for (const c of [l.conn, s.conn]) {
              await c?.close();
              await c?.rest.exchange.close();
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);

  it('a venue URL given once reaches REST and WebSocket of both paths', async () => {
    const config = loadConfig({
      EXCHANGE_URL: 'http://127.0.0.1:9444',
      EXCHANGE_RATE_LIMIT_MS: '7',
    });
    const skew = await measuredSkew(5_000, 10);
    for (const setting of [
      serveVenues({ venue: ['binance'], venueSymbol: [] }, config)[0]!,
      feedVenueSetting(config, { exchange: 'binance' }),
    ]) {
      const conn = await openPrivateConnection(setting, {}, undefined, skew);
      const api = JSON.stringify(conn.rest.exchange.urls.api);
      expect(api).toContain('http://127.0.0.1:9444/api');
      expect(api).not.toContain('binance.com');
      expect(JSON.stringify(conn.stream.urls.api)).toContain('ws://127.0.0.1:9444');
      expect([conn.rest.exchange.rateLimit, conn.stream.rateLimit]).toEqual([7, 7]);
      expect(conn.stream.options.recvWindow).toBe(conn.rest.exchange.options.recvWindow);
      await conn.close();
    }
  });

  it('EXCHANGE_SANDBOX=1 reaches REST and WebSocket of both paths; a venue without one is refused', async () => {
    const config = loadConfig({ EXCHANGE_SANDBOX: '1' });
    const skew = await measuredSkew(0, 10);
    for (const setting of [
      serveVenues({ venue: ['binance'], venueSymbol: [] }, config)[0]!,
      feedVenueSetting(config, { exchange: 'binance' }),
    ]) {
      const conn = await openPrivateConnection(setting, {}, undefined, skew);
      expect(JSON.stringify(conn.rest.exchange.urls.api)).toContain('testnet.binance.vision');
      expect(JSON.stringify(conn.stream.urls.api)).toContain('testnet.binance.vision');
      await conn.close();
    }
    await expect(
      openPrivateConnection(
        feedVenueSetting(config, { exchange: 'bitstamp' }),
        {},
        undefined,
        skew,
      ),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: /^EXCHANGE_SANDBOX: .*bitstamp/ });
  });
});
