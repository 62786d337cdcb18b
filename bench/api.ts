// Issue #4 benchmark: authenticated POST /orders through risk, store and audit (autocannon,
// on this machine), and one market-data stream fanned out to 1,000 WebSocket clients.
import { postOrders } from './post-orders.js';
import WebSocket from 'ws';
import os from 'node:os';
import { startTestServer } from '../test/support/api-server.js';
import { createBenchDatabase } from './bench-database.js';
import { httpCeiling } from './ceilings.js';
import { postgresCpu, serveInChild } from './served.js';

const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** `POST /orders` on a server whose store is PGlite, or Postgres (`postgres`: a schema in a database of its own). */
async function orders(store: 'PGlite' | 'Postgres') {
  const db = store === 'Postgres' ? await createBenchDatabase() : undefined;
  // Logging as `kairos serve` does by default (JSON lines at info), no answer kept in memory.
  const t = await startTestServer({
    rateLimitPerMinute: 1e9,
    asServed: true,
    ...(db ? { env: { DATABASE_URL: db.url } } : {}),
  });
  const cpu = cpuPerRequest();
  const result = await postOrders(t.server.url, { seconds: 10, token: t.token });
  const cpuMs = cpu(result.requests.total);
  await t.server.close();
  await db?.drop();
  const r = {
    store,
    ordersPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuMsPerRequest: cpuMs,
    non2xx: result.non2xx,
    errors: result.errors,
  };
  process.stdout.write(
    `POST /orders, ${store} (50 connections, 10 s): ${r.ordersPerSecond} orders/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${cpuMs} ms CPU/request, non-2xx ${r.non2xx}, errors ${r.errors}\n`,
  );
  return r;
}

async function fanOut(clients = 1000) {
  // The clients come from one address here; behind a load balancer they come from many, so the
  // per-address limit (50 by default: 429 WS_CONNECTION_LIMIT) is raised to the clients measured.
  const t = await startTestServer({
    speed: 600,
    bars: 400,
    env: { KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS: String(clients) },
  });
  const ws = t.server.url.replace('http', 'ws') + '/ws';
  const lags: number[] = [];
  let measuring = false;
  const sockets: WebSocket[] = [];
  for (let i = 0; i < clients; i++) {
    const s = new WebSocket(ws);
    sockets.push(s);
    await new Promise((r) => s.once('open', r));
    s.send(JSON.stringify({ type: 'auth', token: t.token }));
    s.send(JSON.stringify({ type: 'subscribe', channel: 'bars' }));
    s.on('message', (m) => {
      const msg = JSON.parse(String(m)) as { type: string; sentAt?: number };
      if (measuring && msg.type === 'bar' && msg.sentAt) lags.push(Date.now() - msg.sentAt);
    });
  }
  measuring = true;
  const deadline = Date.now() + 20_000;
  while (lags.length < clients * 50 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  measuring = false;
  for (const s of sockets) s.terminate();
  await t.server.close();
  lags.sort((a, b) => a - b);
  const r = {
    clients,
    deliveries: lags.length,
    p50Ms: pct(lags, 50) ?? null,
    p99Ms: pct(lags, 99) ?? null,
  };
  process.stdout.write(
    `WebSocket fan-out to ${clients} clients: ${r.deliveries} bar deliveries, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms\n`,
  );
  return r;
}

/**
 * Where the Postgres row's CPU goes: the same load on a server in its own process (so its CPU is
 * its own), 2 s of warm-up, then 10 s with the CPU a request of the server, of every `postgres`
 * process and of the load generator (this process). Two cores allow at most 2,000 / (their sum)
 * orders a second, and one event loop 1,000 / (the server's): the order path's ceiling on this
 * machine at today's cost of each part.
 */
async function cpuShares() {
  const served = await serveInChild('postgres');
  try {
    await postOrders(served.url, { seconds: 2, token: served.token, keyPrefix: 'warm' });
    const server0 = served.cpuMs();
    const database = postgresCpu();
    const generator0 = process.cpuUsage();
    const result = await postOrders(served.url, {
      seconds: 10,
      token: served.token,
      keyPrefix: 'run',
    });
    const generator = process.cpuUsage(generator0);
    const perRequest = (ms: number) => +(ms / Math.max(1, result.requests.total)).toFixed(3);
    const r = {
      ordersPerSecond: Math.round(result.requests.average),
      p99Ms: result.latency.p99,
      cpuMsPerRequest: {
        server: perRequest(served.cpuMs() - server0),
        postgres: perRequest(database.since()),
        loadGenerator: perRequest((generator.user + generator.system) / 1000),
      },
    };
    const cpu = r.cpuMsPerRequest;
    const cores = os.cpus().length;
    process.stdout.write(
      `  the same, the server in its own process: ${r.ordersPerSecond} orders/s, p99 ${r.p99Ms} ms; CPU ms a request: server ${cpu.server}, Postgres ${cpu.postgres}, load generator ${cpu.loadGenerator}\n` +
        `  ceiling, that CPU on ${cores} cores: ${Math.round((cores * 1000) / (cpu.server + cpu.postgres + cpu.loadGenerator))} orders/s (all three shares), ${Math.round(1000 / cpu.server)} (the server's, one event loop); 3,000/s needs the three ≤ ${(cores / 3).toFixed(3)} ms\n`,
    );
    return { ...r, atTarget: await atRate(served, TARGET_RATE) };
  } finally {
    await served.stop();
  }
}

/** Issue 18's target rate for `POST /orders`. */
const TARGET_RATE = 3000;

/**
 * The p99 a trader sees when orders arrive at `rate` a second (an open loop, latencies from when
 * each was due), on the same server: the closed loop above measures the most the server answers,
 * and its latency is then the wait of 50 connections queued on one event loop, not the latency
 * at a given load.
 */
async function atRate(served: Awaited<ReturnType<typeof serveInChild>>, rate: number) {
  const result = await postOrders(served.url, {
    seconds: 10,
    token: served.token,
    keyPrefix: `rate${rate}`,
    rate,
  });
  const r = {
    offeredPerSecond: rate,
    ordersPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
  process.stdout.write(
    `  the same server, ${rate.toLocaleString('en-US')} orders/s offered (open loop, 10 s): ${r.ordersPerSecond} orders/s answered, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, non-2xx ${r.non2xx}, errors ${r.errors}\n`,
  );
  return r;
}

/** The HTTP stack alone, with its CPU per request as the rows have theirs. */
async function ceiling() {
  const cpu = cpuPerRequest();
  const seconds = 10;
  const r = await httpCeiling(seconds);
  const cpuMs = cpu(r.requestsPerSecond * seconds);
  process.stdout.write(`    (${cpuMs} ms CPU/request)\n`);
  return { ...r, cpuMsPerRequest: cpuMs };
}

/**
 * This process's CPU time (user + system, every thread) from now, per request (ms): the
 * server's work and the load generator's (autocannon runs in the same process, for the rows and
 * for the HTTP ceiling alike), a figure that other work on the machine changes less than the rate.
 */
function cpuPerRequest(): (requests: number) => number {
  const start = process.cpuUsage();
  return (requests) => {
    const { user, system } = process.cpuUsage(start);
    return +((user + system) / 1000 / Math.max(1, requests)).toFixed(3);
  };
}

const postgresRow = await orders('Postgres');
const shares = await cpuShares();
export const apiResults = {
  orders: [postgresRow, await orders('PGlite')],
  cpuShares: shares,
  httpCeiling: await ceiling(),
  fanOut: await fanOut(),
};
