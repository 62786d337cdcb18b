// Issue 15 benchmark: `POST /orders` across 2 live accounts on 2 venues (two Binance simulators,
// ccxt's real classes `binance` and `binanceus`), and WebSocket fan-out of 20 venue instruments'
// trades through the gateway, each beside the machine's ceiling measured in the same run.
import autocannon from 'autocannon';
import Fastify from 'fastify';
import WebSocket, { WebSocketServer } from 'ws';
import type { VenueMarketStreams } from '../src/api/ws-gateway-options.js';
import type { TradeTick } from '../src/trading/data/market-data.js';
import { startTestServer } from '../test/support/api-server.js';
import { simExchange, startLiveSim } from '../test/support/ccxt-sim.js';
import { gatewayApp } from '../test/support/ws-gateway-app.js';
import { httpCeiling } from './ceilings.js';

const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? null;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers
type Json = any;

/** `POST /orders`, 50 connections for `seconds`, alternating between two live accounts. */
async function ordersOnTwoVenues(seconds = 10) {
  // A generous weight allowance and order rate: neither the request budget nor the accounts'
  // venue order rate (docs/decisions/order-rate.md) is what is measured here.
  const generous = { weightPerMinute: 10_000_000, ordersPer10s: 1_000_000 };
  const sims = [await startLiveSim(generous), await startLiveSim(generous)];
  const venues = ['binance', 'binanceus'];
  const t = await startTestServer({
    rateLimitPerMinute: 1e9,
    quiet: true,
    venues: venues.map((id, i) => ({ id, url: sims[i]!.url })),
  });
  const call = async (route: string, body: unknown) => {
    const r = await fetch(`${t.server.url}${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await r.json()) as Json;
    if (r.status !== 201) throw new Error(`${route}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const accounts: string[] = [];
  for (const [i, venue] of venues.entries()) {
    const cred = await call('/credentials', {
      venue,
      label: `bench-${venue}`,
      apiKey: sims[i]!.apiKey,
      secret: sims[i]!.secret,
    });
    const acc = await call('/accounts', {
      name: `bench-${venue}`,
      mode: 'live',
      venue,
      credentialId: cred.id,
    });
    accounts.push(acc.id as string);
  }
  // A resting limit order far below the market (it never fills): every one reaches its venue.
  const bodies = accounts.map((accountId) =>
    JSON.stringify({
      accountId,
      instrumentId: 'BTC/USDT',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '0.02',
      price: '1000',
    }),
  );
  let n = 0;
  const statuses = new Map<string, number>();
  const result = await autocannon({
    url: `${t.server.url}/orders`,
    connections: 50,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t.token}` },
    requests: [
      {
        setupRequest: (req) => {
          n++;
          return {
            ...req,
            body: bodies[n % 2]!,
            headers: { ...req.headers, 'idempotency-key': `venues-${n}` },
          };
        },
        onResponse: (status, body) => {
          let k = String(status);
          try {
            k += ` ${(JSON.parse(body) as Json).status ?? (JSON.parse(body) as Json).code}`;
          } catch {
            // not JSON: the status alone
          }
          statuses.set(k, (statuses.get(k) ?? 0) + 1);
        },
      },
    ],
  });
  const atVenues = sims.map((s) => s.state.orders().length);
  // The orders answered SUBMITTED all reach their venue (each account sends in order, behind its
  // key's throttle): how long after the load that takes.
  const submitted = statuses.get('201 SUBMITTED') ?? 0;
  const drainStart = Date.now();
  while (
    sims.reduce((sum, s) => sum + s.state.orders().length, 0) < submitted &&
    Date.now() - drainStart < 60_000
  )
    await new Promise((r) => setTimeout(r, 50));
  const drainedMs = Date.now() - drainStart;
  const atVenuesDrained = sims.map((s) => s.state.orders().length);
  await t.server.close();
  const ceiling = await venueCeiling(sims, seconds);
  for (const s of sims) await s.close();
  const r = {
    accounts: 2,
    venues,
    ordersPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    atVenues,
    atVenuesDrained,
    drainedMs,
    answers: Object.fromEntries(statuses),
    ceiling,
  };
  process.stdout.write(
    `POST /orders across 2 live accounts on 2 venues (simulators; 50 connections, ${seconds} s): ${r.ordersPerSecond} orders/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, non-2xx ${r.non2xx}, errors ${r.errors}, at the venues ${atVenues.join(' + ')} when the load stopped, ${atVenuesDrained.join(' + ')} ${drainedMs} ms later, answers ${JSON.stringify(r.answers)}\n` +
      `  ceiling, ccxt's createOrder straight to the two simulators (one connection per key, 25 at a time each): ${ceiling.ordersPerSecond} orders/s, p50 ${ceiling.p50Ms} ms, p99 ${ceiling.p99Ms} ms\n`,
  );
  return r;
}

/**
 * The venue path's ceiling: ccxt's own `binance` (its throttle on, as Kairos builds it) placing
 * the same orders straight to each simulator, 25 in flight per key, for `seconds`.
 */
async function venueCeiling(sims: Awaited<ReturnType<typeof startLiveSim>>[], seconds: number) {
  const lat: number[] = [];
  const end = Date.now() + seconds * 1_000;
  let k = 0;
  await Promise.all(
    sims.map(async (sim) => {
      const ex = await simExchange(sim);
      await Promise.all(
        Array.from({ length: 25 }, async () => {
          while (Date.now() < end) {
            const t0 = Date.now();
            await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.02, 1000, {
              newClientOrderId: `ceil${++k}`,
            });
            lat.push(Date.now() - t0);
          }
        }),
      );
      await ex.close();
    }),
  );
  lat.sort((a, b) => a - b);
  return {
    ordersPerSecond: Math.round(lat.length / seconds),
    p50Ms: pct(lat, 50),
    p99Ms: pct(lat, 99),
  };
}

const INSTRUMENTS = 20;
const CLIENTS = 200;
// Per instrument: 40 trades a second in all, 8,000 frames a second to the clients (which run in
// this process too: at 1,000 trades a second neither the gateway nor the bare server keeps up).
const TRADES_PER_SECOND = 2;
const SECONDS = 10;

/**
 * The gateway alone with a venue of 20 instruments whose trades the bench makes (no ccxt: the
 * gateway's part is measured), `CLIENTS` sockets each subscribed to every instrument's trades.
 */
async function fanOutTwentyInstruments() {
  const symbols = Array.from({ length: INSTRUMENTS }, (_, i) => `C${i}/USDT`);
  const listeners = new Map<string, (t: TradeTick) => void>();
  const market: VenueMarketStreams = {
    check: () => undefined,
    watch: async (_kind, _venue, symbol, fn) => {
      listeners.set(symbol, fn as (t: TradeTick) => void);
      return () => listeners.delete(symbol);
    },
    last: () => null,
  };
  const { app, url } = await gatewayApp({ market, now: Date.now });
  const keys = symbols.map((s) => `sim:${s}`);
  const lags: number[] = [];
  let measuring = false;
  const sockets = await openClients(`${url.replace('http', 'ws')}/ws`, CLIENTS, (s) => {
    s.send(JSON.stringify({ type: 'auth', token: 't' }));
    s.send(JSON.stringify({ type: 'subscribe', channel: 'trades', instruments: keys }));
    s.on('message', (m) => {
      const msg = JSON.parse(String(m)) as { type: string; sentAt?: number };
      if (measuring && msg.type === 'trade' && msg.sentAt) lags.push(Date.now() - msg.sentAt);
    });
  });
  while (listeners.size < INSTRUMENTS) await new Promise((r) => setTimeout(r, 10));
  const sent = await drive(symbols, (symbol, id) =>
    listeners.get(symbol)?.({
      instrumentId: symbol,
      ts: Date.now(),
      tradeId: String(id),
      price: 100,
      size: 1,
      aggressor: 'BUY',
    }),
  );
  measuring = true;
  const emitted = await sent.measure();
  measuring = false;
  for (const s of sockets) s.terminate();
  await app.close();
  lags.sort((a, b) => a - b);
  const r = {
    instruments: INSTRUMENTS,
    clients: CLIENTS,
    tradesPerSecond: INSTRUMENTS * TRADES_PER_SECOND,
    deliveries: lags.length,
    deliveriesPerSecond: Math.round(lags.length / SECONDS),
    expected: CLIENTS * emitted,
    p50Ms: pct(lags, 50),
    p99Ms: pct(lags, 99),
  };
  process.stdout.write(
    `WebSocket fan-out, ${INSTRUMENTS} instruments' trades (${r.tradesPerSecond}/s) to ${CLIENTS} clients each subscribed to all: ${r.deliveriesPerSecond} deliveries/s (${r.deliveries} of ${r.expected}), p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms\n`,
  );
  return { ...r, ceiling: await fanOutCeiling() };
}

/** The ceiling: the same frames broadcast by a bare `ws` server (no log, no cursors, no auth). */
async function fanOutCeiling() {
  const server = Fastify();
  await server.listen({ host: '127.0.0.1', port: 0 });
  const wss = new WebSocketServer({ server: server.server });
  const port = (server.server.address() as { port: number }).port;
  const lags: number[] = [];
  let measuring = false;
  const sockets = await openClients(`ws://127.0.0.1:${port}`, CLIENTS, (s) =>
    s.on('message', (m) => {
      const msg = JSON.parse(String(m)) as { sentAt: number };
      if (measuring) lags.push(Date.now() - msg.sentAt);
    }),
  );
  const sent = await drive(
    Array.from({ length: INSTRUMENTS }, (_, i) => `C${i}/USDT`),
    (symbol, id) => {
      const frame = JSON.stringify({
        type: 'trade',
        venue: 'sim',
        trade: { instrumentId: symbol, ts: Date.now(), tradeId: String(id), price: 100, size: 1 },
        sentAt: Date.now(),
        seq: id,
      });
      for (const c of wss.clients) c.send(frame);
    },
  );
  measuring = true;
  const emitted = await sent.measure();
  measuring = false;
  for (const s of sockets) s.terminate();
  wss.close();
  await server.close();
  lags.sort((a, b) => a - b);
  const r = {
    deliveries: lags.length,
    expected: CLIENTS * emitted,
    deliveriesPerSecond: Math.round(lags.length / SECONDS),
    p50Ms: pct(lags, 50),
    p99Ms: pct(lags, 99),
  };
  process.stdout.write(
    `  ceiling, the same frames broadcast by a bare ws server: ${r.deliveriesPerSecond} deliveries/s (${r.deliveries} of ${r.expected}), p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms\n`,
  );
  return r;
}

async function openClients(
  url: string,
  n: number,
  setup: (s: WebSocket) => void,
): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i++) {
    const s = new WebSocket(url);
    sockets.push(s);
    await new Promise((r) => s.once('open', r));
    setup(s);
  }
  return sockets;
}

/**
 * Emits `TRADES_PER_SECOND` trades per symbol in 10 ms ticks; `measure` runs `SECONDS` after a
 * second of warm-up and stops the emitter (then waits a second for the frames in flight).
 */
async function drive(symbols: readonly string[], emit: (symbol: string, id: number) => void) {
  let id = 0;
  const perTick = TRADES_PER_SECOND / 100;
  let owed = 0;
  const timer = setInterval(() => {
    owed += perTick;
    for (; owed >= 1; owed--) for (const s of symbols) emit(s, ++id);
  }, 10);
  await new Promise((r) => setTimeout(r, 1_000));
  return {
    /** Answers how many trades were emitted while it measured. */
    measure: async () => {
      const from = id;
      await new Promise((r) => setTimeout(r, SECONDS * 1_000));
      clearInterval(timer);
      const emitted = id - from;
      await new Promise((r) => setTimeout(r, 1_000));
      return emitted;
    },
  };
}

export const venueResults = {
  ordersOnTwoVenues: await ordersOnTwoVenues(),
  httpCeiling: await httpCeiling(),
  fanOut: await fanOutTwentyInstruments(),
};
