// Issue 16 benchmark (`npm run bench -- --only cluster`): `kairos serve` alone and three behind
// nginx (scripts/cluster.ts), side by side in one run, with nginx answering by itself as the
// ceiling: an authenticated read route, order entry, and bars fanned out to WebSocket clients.
// Figures only, no assertions. On a small machine three instances share its cores with nginx
// and the load generator: read the rows as what this machine gives, not as a scaling factor.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { generate } from 'otplib';
import WebSocket from 'ws';
import { startCluster, type Cluster } from '../scripts/cluster.js';
import { createBenchDatabase } from './bench-database.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = [
  process.env.KAIROS_SHARED_DATA,
  path.resolve(ROOT, '../shared/data'),
  '/work/shared/data',
]
  .filter((d): d is string => d !== undefined)
  .map((d) => path.join(d, 'freqtrade/UNITTEST_BTC-1m.json'))[0]!;
const PASSWORD = 'cluster bench passphrase';
/**
 * Traders, one paper account each. The API allows 6,000 requests a minute per address and user
 * and 30 logins a minute per address (through nginx every client has nginx's address), so the
 * load is spread over several users and each run is a fixed number of requests.
 */
const TRADERS = 8;
const READS = 8_000;
const ORDERS = 3_000;
const WARM_ORDERS = 200;
const WS_CLIENTS = 1_000;
/** The account leases' TTL in these clusters: a failover takes about this long. */
const LEASE_TTL_MS = 3_000;

const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const say = (line: string) => process.stdout.write(`${line}\n`);

interface Trader {
  readonly token: string;
  readonly accountId: string;
}

/** A cluster of `instances` on its own schema and KAIROS_HOME, with `TRADERS` users made first. */
async function cluster(instances: number, databaseUrl: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-bench-cluster-'));
  const home = path.join(dir, 'home');
  const schema = `bench_cluster_${instances}`;
  const env = {
    ...process.env,
    KAIROS_HOME: home,
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    KAIROS_USER_PASSWORD: PASSWORD,
  };
  const secrets: string[] = [];
  for (let i = 0; i < TRADERS; i++) {
    const out = execFileSync(
      process.execPath,
      [path.join(ROOT, 'bin/kairos.js'), 'user', 'create', `trader${i}`, '--role', 'trader'],
      { cwd: ROOT, env, encoding: 'utf8' },
    );
    secrets.push(/secret: (\S+)/.exec(out)![1]!);
  }
  const c = await startCluster({
    instances,
    port: 0,
    home,
    databaseUrl,
    schema,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    serveArgs: ['--data', DATA, '--symbol', 'BTC/USDT', '--lot', '0.001', '--speed', '600'],
    env: { LOG_LEVEL: 'warn', KAIROS_LEASE_TTL_MS: String(LEASE_TTL_MS) },
    print: (line) => say(`  ${line}`),
  });
  // Logged in and given an account through the instance that serves them all in the one-instance
  // run, and through nginx in the three-instance run (each then knows only the accounts it made).
  const traders: Trader[] = [];
  for (let i = 0; i < TRADERS; i++) traders.push(await trader(c.url, `trader${i}`, secrets[i]!));
  return {
    c,
    traders,
    close: async () => {
      await c.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function trader(url: string, username: string, secret: string): Promise<Trader> {
  const post = async (route: string, body: unknown, token?: string) => {
    const res = await fetch(`${url}${route}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, string>;
    if (res.status >= 300) throw new Error(`${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const { challenge } = await post('/auth/login', { username, password: PASSWORD });
  const code = await generate({ secret, epoch: Math.floor(Date.now() / 1000) });
  const { accessToken } = await post('/auth/mfa', { challenge, code });
  const account = await post('/accounts', { name: 'bench', startingCash: '1000000' }, accessToken);
  return { token: accessToken!, accountId: account.id! };
}

/**
 * Numbers every POST of the run: an `Idempotency-Key` used once in the whole run, so no row is
 * answered from the idempotency record of an earlier row (a replay is a 200, not an order).
 */
let requestSeq = 0;

/** `amount` requests with 50 connections, each request as the next trader in turn. */
async function load(
  url: string,
  traders: readonly Trader[],
  amount: number,
  request: { method: 'GET' | 'POST'; body?: (t: Trader, n: number) => unknown },
) {
  let n = 0;
  const result = await autocannon({
    url,
    connections: 50,
    amount,
    method: request.method,
    ...(traders.length === 0
      ? {}
      : {
          requests: [
            {
              setupRequest: (req) => {
                const t = traders[n % traders.length]!;
                n++;
                return {
                  ...req,
                  headers: {
                    ...req.headers,
                    authorization: `Bearer ${t.token}`,
                    ...(request.body
                      ? {
                          'content-type': 'application/json',
                          'idempotency-key': `b-${++requestSeq}`,
                        }
                      : {}),
                  },
                  ...(request.body ? { body: JSON.stringify(request.body(t, n)) } : {}),
                };
              },
            },
          ],
        }),
  });
  return {
    requestsPerSecond: Math.round(result.requests.total / result.duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    // For order entry: 201 a new order, 200 a replay of a key already used.
    statuses: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]),
    ),
  };
}

const fmtLoad = (r: Awaited<ReturnType<typeof load>>) =>
  `${r.requestsPerSecond}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, non-2xx ${r.non2xx}, errors ${r.errors}, statuses ${JSON.stringify(r.statuses)}`;

/** `clients` WebSocket clients on `url`'s /ws, subscribed to bars: delivery lag and rate. */
async function fanOut(url: string, traders: readonly Trader[], clients = WS_CLIENTS) {
  const lags: number[] = [];
  const sockets: WebSocket[] = [];
  let measuring = false;
  for (let i = 0; i < clients; i++) {
    const s = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    sockets.push(s);
    await new Promise((r, j) => {
      s.once('open', r);
      s.once('error', j);
    });
    s.send(JSON.stringify({ type: 'auth', token: traders[i % traders.length]!.token }));
    s.send(JSON.stringify({ type: 'subscribe', channel: 'bars' }));
    s.on('message', (m) => {
      const msg = JSON.parse(String(m)) as { type: string; sentAt?: number };
      if (measuring && msg.type === 'bar' && msg.sentAt) lags.push(Date.now() - msg.sentAt);
    });
  }
  measuring = true;
  const start = Date.now();
  const deadline = start + 15_000;
  while (lags.length < clients * 50 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  measuring = false;
  const seconds = (Date.now() - start) / 1000;
  for (const s of sockets) s.terminate();
  lags.sort((a, b) => a - b);
  return {
    clients,
    deliveriesPerSecond: Math.round(lags.length / seconds),
    p50Ms: lags.length ? pct(lags, 50) : null,
    p99Ms: lags.length ? pct(lags, 99) : null,
  };
}

const fmtFan = (r: Awaited<ReturnType<typeof fanOut>>) =>
  `${r.deliveriesPerSecond} bar deliveries/s, lag p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`;

/**
 * A resting limit buy far below the market on the trader's own account: the replayed data
 * (freqtrade's UNITTEST_BTC-1m) trades at 0.0016–0.0037, so a buy at 0.0001 never fills (at 1 it
 * filled at once, and the rows measured fills, not order entry).
 */
const restingBuy = (t: Trader) => ({
  accountId: t.accountId,
  instrumentId: 'BTC/USDT',
  side: 'BUY',
  type: 'LIMIT',
  quantity: '0.001',
  price: '0.0001',
});

/** Order entry through nginx: any instance takes POST /orders and hands it to the account's owner. */
function orderEntryAcrossInstances(c: Cluster, traders: readonly Trader[]) {
  return load(`${c.url}/orders`, traders, ORDERS, { method: 'POST', body: restingBuy });
}

/** The accounts an instance owns (its readiness' `ownership` check). */
async function owned(url: string): Promise<string[]> {
  const res = await fetch(`${url}/health/ready`);
  const body = (await res.json()) as { checks?: { name: string; detail?: string }[] };
  const detail = body.checks?.find((x) => x.name === 'ownership')?.detail ?? '';
  return (/\): (.*)$/.exec(detail)?.[1] ?? '').split(', ').filter((s) => s !== '');
}

/**
 * Failover: kill -9 the owner of the first trader's account, then place an order on it through
 * nginx (a new key each try, 503 until another instance holds the lease) until one is accepted.
 */
async function failover(c: Cluster, traders: readonly Trader[]) {
  const t = traders[0]!;
  let owner: Cluster['instances'][number] | undefined;
  for (const i of c.instances) if ((await owned(i.url)).includes(t.accountId)) owner = i;
  if (!owner) throw new Error(`no instance owns ${t.accountId}`);
  const killedAt = Date.now();
  owner.child.kill('SIGKILL');
  for (let n = 0; Date.now() - killedAt < 60_000; n++) {
    const res = await fetch(`${c.url}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${t.token}`,
        'content-type': 'application/json',
        'idempotency-key': `failover-${n}`,
      },
      body: JSON.stringify(restingBuy(t)),
    });
    await res.text();
    if (res.status === 201) return { failoverMs: Date.now() - killedAt, tries: n + 1 };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no order accepted within 60 s of the kill');
}

async function run() {
  const db = await createBenchDatabase();
  const rows: Record<string, unknown> = {};
  try {
    say('  one instance:');
    const one = await cluster(1, db.url);
    try {
      const direct = one.c.instances[0]!.url;
      await load(`${one.c.url}/lb/ping`, [], 2_000, { method: 'GET' }); // warm-up
      const ceiling = await load(`${one.c.url}/lb/ping`, [], READS, { method: 'GET' });
      say(`  ceiling, nginx alone (GET /lb/ping, answered by nginx): ${fmtLoad(ceiling)}`);
      await load(`${direct}/accounts`, one.traders, 1_000, { method: 'GET' }); // warm-up
      const readsDirect = await load(`${direct}/accounts`, one.traders, READS, { method: 'GET' });
      say(`  GET /accounts, 1 instance: ${fmtLoad(readsDirect)}`);
      const readsNginx = await load(`${one.c.url}/accounts`, one.traders, READS, {
        method: 'GET',
      });
      say(`  GET /accounts, 1 instance behind nginx: ${fmtLoad(readsNginx)}`);
      // Warm-up: each account's first orders open its journal and venue; the rows measure after.
      await load(`${direct}/orders`, one.traders, WARM_ORDERS, {
        method: 'POST',
        body: restingBuy,
      });
      const ordersDirect = await load(`${direct}/orders`, one.traders, ORDERS, {
        method: 'POST',
        body: restingBuy,
      });
      say(`  POST /orders, 1 instance (one account per trader): ${fmtLoad(ordersDirect)}`);
      const ordersNginx = await load(`${one.c.url}/orders`, one.traders, ORDERS, {
        method: 'POST',
        body: restingBuy,
      });
      say(`  POST /orders, 1 instance behind nginx: ${fmtLoad(ordersNginx)}`);
      const fanDirect = await fanOut(direct, one.traders);
      say(`  WebSocket, ${WS_CLIENTS} clients on 1 instance: ${fmtFan(fanDirect)}`);
      const fanNginx = await fanOut(one.c.url, one.traders);
      say(`  WebSocket, ${WS_CLIENTS} clients on 1 instance behind nginx: ${fmtFan(fanNginx)}`);
      Object.assign(rows, {
        ceiling,
        readsDirect,
        readsNginx,
        ordersDirect,
        ordersNginx,
        fanDirect,
        fanNginx,
      });
    } finally {
      await one.close();
    }
    say('  three instances behind nginx:');
    const three = await cluster(3, db.url);
    try {
      // Warm-up: each instance's JIT, as the one instance had before its rows.
      await load(`${three.c.url}/accounts`, three.traders, 3_000, { method: 'GET' });
      const reads3 = await load(`${three.c.url}/accounts`, three.traders, READS, {
        method: 'GET',
      });
      say(`  GET /accounts, 3 instances behind nginx: ${fmtLoad(reads3)}`);
      await load(`${three.c.url}/orders`, three.traders, WARM_ORDERS, {
        method: 'POST',
        body: restingBuy,
      }); // warm-up: every owner has opened its accounts
      const orders3 = await orderEntryAcrossInstances(three.c, three.traders);
      say(`  POST /orders, 3 instances behind nginx (hand-off to the owner): ${fmtLoad(orders3)}`);
      const fan3 = await fanOut(three.c.url, three.traders);
      say(`  WebSocket, ${WS_CLIENTS} clients over 3 instances behind nginx: ${fmtFan(fan3)}`);
      const fail = await failover(three.c, three.traders);
      say(
        `  failover, kill -9 to the first order accepted for the dead owner's account: ${fail.failoverMs} ms (lease TTL ${LEASE_TTL_MS} ms, ${fail.tries} tries)`,
      );
      Object.assign(rows, {
        reads3,
        orders3,
        fan3,
        failover: { ...fail, leaseTtlMs: LEASE_TTL_MS },
      });
    } finally {
      await three.close();
    }
  } finally {
    await db.drop();
  }
  const loadavg = os.loadavg();
  say(`  load average: ${loadavg.map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
  return { ...rows, cpus: os.cpus().length, loadavg };
}

export const clusterResults = await run();
