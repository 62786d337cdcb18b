import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'otplib';
import pg from 'pg';
import WebSocket from 'ws';
import { startCluster, type Cluster } from '../../scripts/cluster.js';
import { apiCall } from '../support/api-call.js';
import { btcSlice } from '../support/paper-args.js';
import { dropTestSchema, TEST_DATABASE_URL } from '../support/postgres.js';
import { runCli } from '../support/run-cli.js';
import { ownedAccounts } from '../support/owned-accounts.js';
import { until } from '../support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON frames, checked field by field
type Json = any;

const TTL_MS = 3_000;
const TRADERS = ['ann', 'bob', 'cid'];
const PASSWORD = 'failover trader passphrase';

/** A `/ws` client through nginx on `orders` that reconnects with `after` (the last seq per account). */
function resumingSocket(url: string, token: string) {
  const last = new Map<string, number>();
  const problems: string[] = [];
  let reconnects = 0;
  let stopped = false;
  let ws: WebSocket | undefined;
  const connect = () => {
    const s = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    ws = s;
    s.on('open', () => {
      s.send(JSON.stringify({ type: 'auth', token }));
      const after = Object.fromEntries(last);
      s.send(
        JSON.stringify({
          type: 'subscribe',
          channel: 'orders',
          ...(last.size > 0 ? { after } : {}),
        }),
      );
    });
    s.on('message', (m) => {
      const f = JSON.parse(String(m)) as Json;
      if (f.type === 'snapshot' && f.resumed === false) {
        last.set(f.accountId, f.seq);
        return;
      }
      if (typeof f.seq !== 'number' || typeof f.accountId !== 'string') return;
      const prev = last.get(f.accountId);
      // One sequence per account, no gap, never twice (the first frame of an account opens it).
      if (prev !== undefined && f.seq !== prev + 1)
        problems.push(`${f.accountId}: seq ${f.seq} after ${prev}`);
      last.set(f.accountId, Math.max(prev ?? 0, f.seq));
    });
    const again = () => {
      if (stopped || ws !== s) return;
      reconnects++;
      setTimeout(connect, 200);
    };
    s.on('close', again);
    s.on('error', () => s.terminate());
  };
  connect();
  return {
    last,
    problems,
    reconnects: () => reconnects,
    close: () => {
      stopped = true;
      ws?.terminate();
    },
  };
}

/**
 * NOT YET IN `npm test` (named `.scenario.ts`, outside jest's `*.test.ts`): it fails today on two
 * server bugs it found, and a red test is not committed. Run it with
 * `node --experimental-vm-modules node_modules/jest/bin/jest.js --testMatch '**' + '/cluster-failover.scenario.ts' test/e2e --maxWorkers=1`.
 * 1. A SIGSTOPped instance continued after its leases were taken exits 1 ("trading core failed:
 *    the server stops", LEASE_LOST): fenced, nothing written, but a lease lost stops the server.
 * 2. In the rolling restart an instance given SIGTERM (KAIROS_DRAIN_TIMEOUT_MS=10000) was still
 *    running 100 s later: the drain does not finish. Also, under failover some orders are answered
 *    500 INTERNAL (retried with the same key here, and printed).
 * Rename it to `.test.ts` once they are fixed.
 *
 * Issue 16's failover test: three `kairos serve` behind nginx (scripts/cluster.ts) on one
 * Postgres schema and one Redis, three traders with two paper accounts each, market orders
 * through nginx (an Idempotency-Key each, retried with the same key on 502/503/504 until
 * acknowledged) and a WebSocket client each on `orders` (resuming with `after`). During the
 * load: kill -9 the owner of the busiest account, SIGSTOP another past the lease TTL (then
 * SIGCONT: fenced), and a rolling restart (SIGTERM each, started again). Then, from Postgres:
 * every acknowledged order stored once, none sent twice, fills unique and within each order,
 * positions equal to the fills; each WebSocket saw its accounts' sequences without a gap.
 */
describe('cluster failover: kill -9, SIGSTOP and a rolling restart under load', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-failover-'));
  const home = path.join(dir, 'home');
  const data = btcSlice(path.join(dir, 'BTC-1m.json'), 3000);
  const schema = `failover_${process.pid}_${Date.now() % 100_000}`;
  const env = { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema };
  let cluster: Cluster | undefined;
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });

  afterAll(async () => {
    await cluster?.stop();
    await db.end().catch(() => undefined);
    await dropTestSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses, doubles and misorders nothing; prints the failover time', async () => {
    const secrets = new Map<string, string>();
    for (const name of TRADERS) {
      const made = runCli(['user', 'create', name, '--role', 'trader'], {
        ...env,
        KAIROS_HOME: home,
        KAIROS_USER_PASSWORD: PASSWORD,
      });
      expect(made.code).toBe(0);
      secrets.set(name, /secret: (\S+)/.exec(made.stdout)![1]!);
    }
    const c = await startCluster({
      instances: 3,
      port: 0,
      home,
      databaseUrl: TEST_DATABASE_URL,
      schema,
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      serveArgs: ['--data', data, '--symbol', 'BTC/USDT', '--lot', '0.001', '--speed', '600'],
      env: {
        KAIROS_LEASE_TTL_MS: String(TTL_MS),
        KAIROS_DRAIN_TIMEOUT_MS: '10000',
        LOG_LEVEL: 'warn',
      },
      print: () => undefined,
    });
    cluster = c;
    await db.connect();

    // Traders log in through nginx; two paper accounts each.
    const traders: { name: string; token: string; accounts: string[] }[] = [];
    for (const name of TRADERS) {
      const first = await apiCall(c.url, 'POST', '/auth/login', {
        body: { username: name, password: PASSWORD },
      });
      const code = await generate({
        secret: secrets.get(name)!,
        epoch: Math.floor(Date.now() / 1000),
      });
      const mfa = await apiCall(c.url, 'POST', '/auth/mfa', {
        body: { challenge: first.json.challenge, code },
      });
      expect(mfa.status).toBe(200);
      const token = mfa.json.accessToken as string;
      const accounts: string[] = [];
      for (const n of [1, 2]) {
        const r = await apiCall(c.url, 'POST', '/accounts', {
          token,
          body: { name: `${name}-${n}`, startingCash: '1000000' },
        });
        expect(r.status).toBe(201);
        accounts.push(r.json.id);
      }
      traders.push({ name, token, accounts });
    }
    const allAccounts = traders.flatMap((t) => t.accounts);

    /** Who owns what, from each live instance's readiness (`ownership` check). */
    const owned = ownedAccounts;
    let lastLists = '';
    /** Every trader account owned by exactly one of `urls`: the owner's index per account. */
    const owners = async (indexes: number[]) => {
      const lists = await Promise.all(indexes.map((i) => owned(c.instances[i - 1]!.url)));
      lastLists = JSON.stringify(indexes.map((i, k) => [i, lists[k] ?? 'no answer']));
      // An instance that does not answer its readiness (busy, or waiting on the store) is left
      // out; every account must still have exactly one owner among those that answer.
      const map = new Map<string, number>();
      for (const [k, l] of lists.entries())
        for (const a of l ?? []) {
          if (map.has(a)) return undefined; // two owners: not settled (must not last)
          map.set(a, indexes[k]!);
        }
      return allAccounts.every((a) => map.has(a)) ? map : undefined;
    };
    // Spread over the instances: each owns at least one trader account.
    const spread = await until(
      async () => {
        const m = await owners([1, 2, 3]);
        return m && new Set(m.values()).size === 3 && m;
      },
      30_000,
      'the accounts spread over three instances',
    );
    expect(allAccounts.filter((a) => !spread.has(a))).toEqual([]);

    const sockets = traders.map((t) => resumingSocket(c.url, t.token));

    // The load: each trader places market buys, account by account (the first account of the
    // first trader twice as often: the busiest), one at a time, each retried with its own key.
    const acked = new Map<string, { clientOrderId: string; accountId: string; at: number }>();
    const sent: { key: string; accountId: string; firstAt: number }[] = [];
    const statuses = new Map<number, number>();
    const unacked: string[] = [];
    const internal: string[] = [];
    const t0 = Date.now();
    let stopLoad = false;
    const place = async (t: (typeof traders)[number], accountId: string, key: string) => {
      const firstAt = Date.now();
      sent.push({ key, accountId, firstAt });
      for (let tries = 0; tries < 200; tries++) {
        const r = await apiCall(c.url, 'POST', '/orders', {
          token: t.token,
          headers: { 'idempotency-key': key },
          body: {
            accountId,
            instrumentId: 'BTC/USDT',
            side: 'BUY',
            type: 'MARKET',
            quantity: '0.001',
          },
        }).catch(() => ({ status: 0, json: null }) as const);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 201 || r.status === 200) {
          acked.set(key, { clientOrderId: r.json.clientOrderId, accountId, at: Date.now() });
          return;
        }
        // Known bug (reported, not fixed): under failover an instance sometimes answers 500
        // INTERNAL; the client cannot tell whether the order ran, so it retries the same key as
        // for a 502, and the invariants below check nothing was lost or doubled. Each is printed.
        if (r.status === 500)
          internal.push(
            `${key} on ${accountId}: 500 from ${'headers' in r ? r.headers['x-kairos-instance'] : '?'} at +${Date.now() - t0} ms`,
          );
        else if (![0, 502, 503, 504].includes(r.status))
          throw new Error(`${key}: ${r.status} ${JSON.stringify(r.json)}`);
        await new Promise((res) => setTimeout(res, 100));
      }
      unacked.push(key);
    };
    let failure: unknown;
    const loops = traders.map(async (t, ti) => {
      const plan = ti === 0 ? [t.accounts[0]!, t.accounts[0]!, t.accounts[1]!] : t.accounts;
      for (let n = 0; !stopLoad; n++)
        await place(t, plan[n % plan.length]!, `${t.name}-${n}`).catch((e: unknown) => {
          failure = e;
          stopLoad = true;
        });
    });

    try {
      await until(() => acked.size >= 30 || failure, 30_000, 'orders under way');
      // kill -9 the owner of the busiest account.
      const busiest = traders[0]!.accounts[0]!;
      const victim = spread.get(busiest)!;
      const victimAccounts = allAccounts.filter((a) => spread.get(a) === victim);
      const killedAt = Date.now();
      process.stdout.write(`kill -9 instance ${victim} at +${killedAt - t0} ms\n`);
      c.instances[victim - 1]!.child.kill('SIGKILL');
      const firstAfter = await until(
        () => {
          if (failure) throw failure;
          const after = [...acked.entries()].filter(([key, a]) => {
            const s = sent.find((x) => x.key === key)!;
            return victimAccounts.includes(a.accountId) && s.firstAt > killedAt;
          });
          return after.length > 0 ? Math.min(...after.map(([, a]) => a.at)) : undefined;
        },
        TTL_MS * 4 + 20_000,
        "an order accepted on the dead owner's accounts",
      );
      const failoverMs = firstAfter - killedAt;
      process.stdout.write(
        `failover after kill -9: ${failoverMs} ms to the first order accepted for the dead owner's accounts (lease TTL ${TTL_MS} ms)\n`,
      );
      expect(failoverMs).toBeLessThan(TTL_MS * 2 + 5_000);
      await c.restart(victim);

      // SIGSTOP another owner past the TTL: the others take its accounts; SIGCONT: it finds its
      // leases gone (fenced) and every account keeps exactly one owner.
      const live = [1, 2, 3];
      const settled = await until(() => owners(live), 30_000, 'one owner each after the restart');
      const paused = [...new Set(settled.values())].find((i) => i !== victim) ?? 1;
      const pausedAccounts = allAccounts.filter((a) => settled.get(a) === paused);
      process.stdout.write(`SIGSTOP instance ${paused} at +${Date.now() - t0} ms\n`);
      c.instances[paused - 1]!.child.kill('SIGSTOP');
      const others = live.filter((i) => i !== paused);
      await until(
        async () => {
          const m = await owners(others);
          return m && pausedAccounts.every((a) => m.get(a) !== paused);
        },
        TTL_MS * 4 + 20_000,
        "the paused instance's accounts taken over",
      ).catch((e: Error) => {
        throw new Error(
          `${e.message}; paused ${paused}; owners ${lastLists}; ${JSON.stringify(pausedAccounts)}`,
        );
      });
      const pausedChild = c.instances[paused - 1]!.child;
      pausedChild.kill('SIGCONT');
      const resumed = await until(
        async () => {
          if (pausedChild.exitCode !== null || pausedChild.signalCode !== null)
            return { exited: pausedChild.exitCode ?? pausedChild.signalCode };
          const r = await apiCall(c.instances[paused - 1]!.url, 'GET', '/health/ready').catch(
            () => null,
          );
          return r ? { status: r.status, body: r.text } : undefined;
        },
        30_000,
        'the paused instance answering after SIGCONT',
      );
      // Observed: the paused instance, its leases gone, exits (fails closed) rather than write.
      process.stdout.write(`after SIGCONT: ${JSON.stringify(resumed)}\n`);
      // Its accounts stay with the instances that took them over.
      const after = await until(() => owners(others), 30_000, 'one owner each after SIGCONT');
      expect(pausedAccounts.filter((a) => after.get(a) === paused)).toEqual([]);
      if ('exited' in resumed) await c.restart(paused);
      await until(() => owners(live), 30_000, 'one owner each with the paused one back').catch(
        (e: Error) => {
          throw new Error(`${e.message}; paused ${paused}; owners ${lastLists}`);
        },
      );

      // Rolling restart: SIGTERM each (drained, exit 0), started again, one after another.
      for (const i of live) {
        const inst = c.instances[i - 1]!;
        const exited = new Promise<number | null>((r) =>
          inst.child.once('exit', (code) => r(code)),
        );
        process.stdout.write(`SIGTERM instance ${i} at +${Date.now() - t0} ms\n`);
        inst.child.kill('SIGTERM');
        expect(await exited).toBe(0);
        await c.restart(i);
        await until(() => owners(live), 30_000, `one owner each after restarting ${i}`);
      }
    } finally {
      stopLoad = true;
      await Promise.all(loops);
    }
    if (failure) throw failure;
    process.stdout.write(
      `failover load: ${sent.length} orders sent, ${acked.size} acknowledged, answers ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
    if (internal.length > 0)
      process.stdout.write(`500 INTERNAL answers (known bug):\n${internal.join('\n')}\n`);
    expect(unacked).toEqual([]);
    expect(acked.size).toBe(sent.length);

    // Every acknowledged market order fills (the replay moves on).
    const q = async (text: string, values: unknown[] = []) =>
      (await db.query(text.replaceAll('$s.', `${schema}.`), values)).rows as Json[];
    const ids = [...acked.values()].map((a) => a.clientOrderId);
    await until(
      async () => {
        const open = await q(
          `select count(*)::int as n from $s.orders where client_order_id = any($1) and status <> 'FILLED'`,
          [ids],
        );
        return open[0].n === 0;
      },
      30_000,
      'every acknowledged order filled',
    );
    // Stored once each, none lost, nothing else stored for these accounts.
    const stored = await q(
      `select client_order_id, account_id, quantity::text as quantity, filled_quantity::text as filled from $s.orders where account_id = any($1)`,
      [allAccounts],
    );
    expect(stored.map((o) => o.client_order_id).sort()).toEqual([...ids].sort());
    for (const a of acked.values())
      expect(stored.find((o) => o.client_order_id === a.clientOrderId)?.account_id).toBe(
        a.accountId,
      );
    // Sent to the venue once: one OrderSubmitted per order; filled at most once.
    const submitted = await q(
      `select client_order_id, count(*)::int as n from $s.order_events where kind = 'OrderSubmitted' and client_order_id = any($1) group by client_order_id`,
      [ids],
    );
    expect(submitted.filter((s) => s.n !== 1)).toEqual([]);
    expect(submitted).toHaveLength(ids.length);
    const fills = await q(
      `select f.client_order_id, f.venue, f.trade_id, f.side, f.quantity::text as quantity, o.account_id from $s.fills f join $s.orders o using (client_order_id) where o.account_id = any($1)`,
      [allAccounts],
    );
    // Unique by the venue's trade id (each paper account is a venue of its own).
    expect(new Set(fills.map((f) => `${f.venue}:${f.trade_id}`)).size).toBe(fills.length);
    const filledBy = new Map<string, number>();
    for (const f of fills)
      filledBy.set(f.client_order_id, (filledBy.get(f.client_order_id) ?? 0) + Number(f.quantity));
    expect([...filledBy.entries()].filter(([, qty]) => Math.abs(qty - 0.001) > 1e-12)).toEqual([]);
    expect(filledBy.size).toBe(ids.length);
    // Positions equal the sum of their fills, per account.
    const positions = await q(
      `select account_id, sum(quantity)::text as quantity from $s.positions where account_id = any($1) and instrument_id = 'BTC/USDT' group by account_id`,
      [allAccounts],
    );
    for (const a of allAccounts) {
      const fromFills = fills
        .filter((f) => f.account_id === a)
        .reduce((s, f) => s + (f.side === 'BUY' ? 1 : -1) * Number(f.quantity), 0);
      const pos = Number(positions.find((p) => p.account_id === a)?.quantity ?? 0);
      expect([a, pos.toFixed(3)]).toEqual([a, fromFills.toFixed(3)]);
    }
    // Each WebSocket client: its accounts' sequences without a gap, through every reconnect,
    // up to the last frame of each account.
    for (const [ti, s] of sockets.entries()) {
      await until(
        () => traders[ti]!.accounts.every((a) => (s.last.get(a) ?? 0) > 0),
        15_000,
        `${traders[ti]!.name}'s frames`,
      );
      expect(s.problems).toEqual([]);
      expect(s.reconnects()).toBeGreaterThan(0);
    }
    for (const s of sockets) s.close();
  }, 180_000);
});
