// The machine's own ceilings for the order path's targets (issue #18), measured in the same run
// as the rows they stand beside, so both share whatever load the machine has:
// - the database alone: one write transaction (BEGIN, one insert, COMMIT) after another through
//   the same driver, p50/p99, and `select 1` (the floor of any round trip). Write-before-send
//   commits before every send, so tick-to-ack can be no faster than this commit.
// - the HTTP stack alone: the same autocannon load (50 connections) on a Fastify route that
//   validates the same order body and answers 201 with no session, risk or store behind it.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { postOrders } from './post-orders.js';
import Fastify from 'fastify';
import pg from 'pg';
import { OrderBody } from '../src/api/order-schemas.js';

const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** Times `n` sequential calls of `step` (after 100 of warm-up); p50 and p99 in ms. */
async function timed(n: number, step: () => Promise<unknown>) {
  for (let i = 0; i < 100; i++) await step();
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await step();
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  lat.sort((a, b) => a - b);
  return { p50Ms: +pct(lat, 50).toFixed(3), p99Ms: +pct(lat, 99).toFixed(3) };
}

/**
 * The ceiling's step on a connection of its own: one flushed one-row commit (BEGIN, one insert,
 * COMMIT), timed in ms. `bench/oms.ts` also runs it between blocks of ticks, so a tick and its
 * ceiling share the same minutes of the machine's load.
 */
export async function oneRowCommits(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // A real table: a temporary one writes no WAL, so its commit would flush nothing.
  await client.query(
    'create table if not exists kairos_ceiling (id bigserial primary key, qty numeric, note text)',
  );
  return {
    client,
    async commit(): Promise<void> {
      await client.query('begin');
      await client.query("insert into kairos_ceiling (qty, note) values (1.5, 'x')");
      await client.query('commit');
    },
    async close(): Promise<void> {
      await client.query('drop table if exists kairos_ceiling').catch(() => undefined);
      await client.end();
    },
  };
}

/** The database alone: a one-row commit and a bare round trip, one after another. */
export async function databaseCeiling(url: string, n = 2000) {
  const rows = await oneRowCommits(url);
  try {
    const commit = await timed(n, () => rows.commit());
    const roundTrip = await timed(n, () => rows.client.query('select 1'));
    const r = { commit, roundTrip };
    process.stdout.write(
      `  ceiling, the database alone: one-row commit p50 ${commit.p50Ms} ms, p99 ${commit.p99Ms} ms; select 1 p50 ${roundTrip.p50Ms} ms, p99 ${roundTrip.p99Ms} ms\n`,
    );
    return r;
  } finally {
    await rows.close();
  }
}

/** A Fastify route with `POST /orders`'s body validation that answers 201, nothing behind it. */
export async function startHttpStub(): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>();
  app.post('/orders', { schema: { body: OrderBody } }, async (req, reply) =>
    reply.code(201).send({ clientOrderId: 'x', ...req.body }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/** The HTTP stack alone, in this process (the load generator's): `bench/venues.ts`'s ceiling. */
export async function httpCeiling(seconds = 10) {
  const stub = await startHttpStub();
  try {
    const result = await postOrders(stub.url, { seconds });
    const r = {
      requestsPerSecond: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
    };
    process.stdout.write(
      `  ceiling, the HTTP stack alone (same body validation, nothing behind it): ${r.requestsPerSecond} requests/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, non-2xx ${r.non2xx}\n`,
    );
    return r;
  } finally {
    await stub.close();
  }
}
