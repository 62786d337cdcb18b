// Issue #14 benchmark: what logging and metrics cost on the order path, side by side in one run.
// POST /orders (autocannon against the real server) and tick-to-ack (the OMS path on Postgres),
// each with monitoring off, metrics on, metrics + logs on, and metrics sent to a CloudWatch
// endpoint that never answers (what a CloudWatch outage costs). Reported, not asserted.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postOrders as orderLoad } from './post-orders.js';
import { createLogger } from '../src/monitoring/logger.js';
import { MetricsRegistry } from '../src/monitoring/metrics-registry.js';
import { openStore } from '../src/store/open-store.js';
import { processMetrics } from '../src/system/process-metrics.js';
import { loadConfig } from '../src/system/config.js';
import { logTradingEvents } from '../src/system/trading-log.js';
import { countTradingEvents } from '../src/system/trading-metrics.js';
import type { MessageBus } from '../src/trading/bus/message-bus.js';
import { startTestServer } from '../test/support/api-server.js';
import { createBenchDatabase } from './bench-database.js';
import { omsNode } from './oms-node.js';

type Variant = 'off' | 'metrics' | 'metrics+logs' | 'cloudwatch-down';
const VARIANTS: readonly Variant[] = ['off', 'metrics', 'metrics+logs', 'cloudwatch-down'];

/** A CloudWatch endpoint that takes every request and never answers. */
const hanging: Server = createServer(() => undefined);
await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
const HANGING_CLOUDWATCH = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
const CLOUDWATCH_DOWN = {
  KAIROS_METRICS: 'cloudwatch',
  AWS_ENDPOINT_URL_CLOUDWATCH: HANGING_CLOUDWATCH,
  KAIROS_METRICS_INTERVAL_MS: '1000',
};
const ROUNDS = 2;

const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** POST /orders for `seconds` on a fresh server of the variant. */
async function postOrders(variant: Variant, seconds: number) {
  const t = await startTestServer({
    rateLimitPerMinute: 1e9,
    quiet: variant !== 'metrics+logs',
    env:
      variant === 'cloudwatch-down'
        ? CLOUDWATCH_DOWN
        : { KAIROS_METRICS: variant === 'off' ? 'off' : 'prometheus' },
  });
  const result = await orderLoad(t.server.url, {
    seconds,
    token: t.token,
    keyPrefix: `bench-${variant}`,
  });
  await t.server.close();
  return {
    // Answered 201 (an order accepted by the API), per second.
    ordersPerSecond: Math.round(result['2xx'] / seconds),
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
  };
}

/** Tick-to-ack of the OMS path on Postgres, observed as the variant observes it. */
async function tickToAck(variant: Variant, url: string) {
  const cloudwatch =
    variant === 'cloudwatch-down' ? processMetrics(loadConfig(CLOUDWATCH_DOWN)) : null;
  cloudwatch?.start();
  const registry = variant === 'off' ? undefined : (cloudwatch?.registry ?? new MetricsRegistry());
  const store = await openStore({ databaseUrl: url, ...(registry ? { metrics: registry } : {}) });
  // Logs are written as `kairos serve` writes them (JSON lines), to a sink that discards them.
  const logger = createLogger({ level: 'info', format: 'json', write: () => undefined });
  const observe = (bus: MessageBus) => {
    if (registry) countTradingEvents(bus, registry, { venue: 'SIM' });
    if (variant === 'metrics+logs') logTradingEvents(bus, logger, 'SIM');
  };
  try {
    const n = omsNode(store, observe);
    for (let i = 0; i < 200; i++) await n.tick(100 + (i % 7));
    const lat: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = process.hrtime.bigint();
      await n.tick(100 + (i % 7));
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    await n.journal.committed();
    lat.sort((a, b) => a - b);
    return { p50Ms: +pct(lat, 50).toFixed(3), p99Ms: +pct(lat, 99).toFixed(3) };
  } finally {
    await cloudwatch?.stop();
    await store.close();
  }
}

/** The best of `ROUNDS` runs of each variant (`score`: lower is better), the variants interleaved. */
async function sideBySide<R extends { p50Ms: number }>(
  run: (v: Variant) => Promise<R>,
  score: (r: R) => number = (r) => r.p50Ms,
): Promise<Record<Variant, R & { runs: number[] }>> {
  const runs = new Map<Variant, R[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const v of VARIANTS) runs.get(v)!.push(await run(v));
  const out = {} as Record<Variant, R & { runs: number[] }>;
  for (const v of VARIANTS) {
    const rs = runs.get(v)!;
    const best = [...rs].sort((a, b) => score(a) - score(b))[0]!;
    out[v] = { ...best, runs: rs.map(score) };
  }
  return out;
}

const db = await createBenchDatabase();
let ticks;
try {
  ticks = await sideBySide((v) => tickToAck(v, db.url));
} finally {
  await db.drop();
}
for (const v of VARIANTS)
  process.stdout.write(
    `tick-to-ack (Postgres), monitoring ${v}: p50 ${ticks[v].p50Ms} ms, p99 ${ticks[v].p99Ms} ms\n`,
  );
const posts = await sideBySide(
  (v) => postOrders(v, 5),
  (r) => -r.ordersPerSecond,
);
for (const v of VARIANTS)
  process.stdout.write(
    `POST /orders (50 connections, 5 s), monitoring ${v}: ${posts[v].ordersPerSecond} orders/s accepted, p50 ${posts[v].p50Ms} ms, p99 ${posts[v].p99Ms} ms, non-2xx ${posts[v].non2xx}\n`,
  );
hanging.closeAllConnections();
hanging.close();
export const monitoringResults = { tickToAck: ticks, postOrders: posts };
