/**
 * API-versus-`kairos live` parity: sma-cross started on the API (`POST /strategies/sma-cross/start`
 * with the `accountId` of a live account) on `kairos serve --venue binance`, and sma-cross run by
 * `kairos live`, each against the Binance simulator replaying the same bars, make the same orders
 * at the same bars and get the same fills.
 *
 * The server also replays its own `--data` file (the shared account's market): a strategy on a
 * live account must hear its venue's bars only, so a server that fed it the replay's bars too
 * would fail here.
 *
 * Each run has its own simulator (the same bars, the same balances), in manual time, as
 * test/e2e/live-parity.test.ts drives it: the test reveals a bar's first trade (its open), waits
 * until the run has handled the bar before it (`kairos live`: its reconciliation after every bar;
 * the server: the instance's `lastBarAt` and no open order left), records what reached the venue
 * by then, and reveals the rest of the bar. Both start cold (`--warmup 0`: a strategy started on
 * the API has no warm-up either), at the first bar that closes after they started.
 */
import path from 'node:path';
import { generate } from 'otplib';
import type { Bar } from '../../src/trading/data/market-data.js';
import { start, type BinanceSim } from '../../src/simulators/binance/server.js';
import { apiCall } from '../support/api-call.js';
import { MINUTE, spawnLive, syntheticBars } from '../support/ccxt-sim.js';
import { until } from '../support/until.js';
import { btcSlice } from '../support/paper-args.js';
import { openLiveAccount } from '../support/live-account.js';
import { ROOT, runCli } from '../support/run-cli.js';
import { spawnServe } from '../support/spawn-serve.js';
import { processSchema } from '../support/spawn-schema.js';
import { tempDir } from '../support/temp-dir.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

/** Bars the runs trade (the first one is history: preloaded, closed before either starts). */
const BARS = 60;
const PARAMS = { fast: 3, slow: 8, size: '0.01' };

/** What reached the venue, with the bar whose handling sent it. */
interface Sent {
  readonly bar: number;
  readonly n: string;
  readonly side: string;
  readonly quantity: string;
  readonly status: string;
}

describe('strategy started on the API on a live account vs kairos live (sma-cross)', () => {
  const dir = tempDir('kairos-serve-parity-');
  // Each run's store a Postgres schema (`processSchema`): the parity is the subject, not the
  // embedded store, and PGlite would run every commit of both runs and of the server's replay.
  const liveDb = processSchema('parity_live');
  const serveDb = processSchema('parity_serve');
  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  // Bar 0 closed before the runs start; the rest an hour ahead, so every one of them is traded.
  const bars: Bar[] = syntheticBars(BARS + 1, 11).map((b, i) => {
    const shift =
      i === 0 ? now - MINUTE - b.openTime : now + 60 * MINUTE + (i - 1) * MINUTE - b.openTime;
    return { ...b, openTime: b.openTime + shift, closeTime: b.closeTime + shift };
  });
  const sims: BinanceSim[] = [];
  const venue = async () => {
    const sim = await start({
      port: 0,
      data: bars,
      symbol: 'BTC/USDT',
      filters: { tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001', minNotional: '10' },
      balances: { BTC: '0', USDT: '1000000' },
      preloadBars: 1,
      weightPerMinute: 100_000,
    });
    sims.push(sim);
    return sim;
  };
  afterAll(async () => {
    for (const s of sims) await s.close();
  });

  /**
   * Reveals the bars one by one; `handled(k)` waits until bar `k` (an index into `bars`) is
   * handled. Answers what reached the venue, each order with the bar it was sent at.
   */
  const drive = async (sim: BinanceSim, handled: (k: number) => Promise<unknown>) => {
    const sent: Sent[] = [];
    for (let k = 1; k <= BARS; k++) {
      sim.market.step(); // bar k's open: bar k - 1 closes for the feeds
      if (k >= 2) {
        await handled(k - 1);
        for (const o of sim.state.orders().slice(sent.length))
          sent.push({
            bar: k - 1,
            n: /-(\d+)$/.exec(o.clientOrderId)![1]!,
            side: o.side,
            quantity: o.origQty.toFixed(),
            status: '',
          });
      }
      sim.market.advance(1);
    }
    const byId = sim.state.orders();
    return sent.map((s, i) => ({ ...s, status: byId[i]!.status }));
  };
  const fillsOf = (sim: BinanceSim) =>
    sim.state.trades().map((t) => `${t.side} ${t.qty.toFixed()} @ ${t.price.toFixed()}`);

  it('makes the same orders at the same bars, with the same fills', async () => {
    // ---- kairos live ----
    const simLive = await venue();
    const liveHome = path.join(dir, 'live-home');
    const node = spawnLive(
      simLive,
      liveHome,
      [
        '--symbol',
        'BTC/USDT',
        '--params',
        Object.entries(PARAMS)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
        '--cash',
        '1000000',
        '--warmup',
        '0',
      ],
      liveDb.env,
    );
    const said = (e: unknown) =>
      new Error(`${(e as Error).message}; kairos live said:\n${node.output().slice(-3000)}`);
    let viaLive: Sent[];
    try {
      const reconciled = () => simLive.state.requests.get('GET /api/v3/openOrders') ?? 0;
      await until(
        () => reconciled() >= 1 && simLive.state.subscriptions().some((s) => s.includes('@kline')),
        60_000,
        'kairos live to start',
      ).catch((e: unknown) => Promise.reject(said(e)));
      // One reconciliation at start-up, then one after every traded bar (bar 1 is the first).
      viaLive = await drive(simLive, (k) =>
        until(() => reconciled() >= k + 1, 10_000, `bar ${k} handled by kairos live`).catch(
          (e: unknown) => Promise.reject(said(e)),
        ),
      );
    } finally {
      node.child.kill('SIGTERM');
    }
    expect(await node.exited).toBe(0);
    expect(node.output()).not.toMatch(/RECONCILIATION_DRIFT|ORDER_OVERFILL/);

    // ---- kairos serve: a quant's live account, sma-cross started on the API ----
    const simServe = await venue();
    const home = path.join(dir, 'serve-home');
    const password = 'trader passphrase number 2';
    // A quant: they open accounts on their own keys and start strategies (a trader does not).
    const made = runCli(['user', 'create', 'qin', '--role', 'quant'], {
      KAIROS_HOME: home,
      KAIROS_USER_PASSWORD: password,
      ...serveDb.env,
    });
    expect(made.code).toBe(0);
    const secret = /secret: (\S+)/.exec(made.stdout)![1]!;
    const serve = spawnServe(serveDb.env, btcSlice(path.join(dir, 'BTC-1m.json'), 3000), home, [
      '--venue',
      'binance',
      '--exchange-url',
      simServe.url,
      '--strategies',
      path.join(ROOT, 'examples/strategies'),
      // Ten replayed bars a second: plenty of them while the strategy trades.
      '--speed',
      '600',
    ]);
    let viaApi: Sent[];
    let instance: Json;
    let stored: Json[];
    try {
      const url = await serve.api();
      const first = await apiCall(url, 'POST', '/auth/login', {
        body: { username: 'qin', password },
      });
      const code = await generate({ secret, epoch: Math.floor(Date.now() / 1000) });
      const token = (
        await apiCall(url, 'POST', '/auth/mfa', { body: { challenge: first.json.challenge, code } })
      ).json.accessToken as string;
      const call = (method: string, route: string, body?: unknown) =>
        apiCall(url, method, route, { token, ...(body === undefined ? {} : { body }) });
      const { credential, account } = await openLiveAccount(call, simServe);
      expect(credential.status).toBe(201);
      expect([account.status, account.json.venueStatus?.venue]).toEqual([201, 'UP']);
      const started = await call('POST', '/strategies/sma-cross/start', {
        accountId: account.json.id,
        params: PARAMS,
      });
      expect(started.status).toBe(201);
      expect([started.json.accountId, started.json.instrumentId]).toEqual([
        account.json.id,
        'BTC/USDT',
      ]);
      const id = started.json.id as string;
      const replayed = async () =>
        ((await call('GET', '/candles?instrumentId=BTC/USDT&limit=1')).json.candles as Json[]).at(
          -1,
        )?.closeTime as number | undefined;
      const replayAtStart = await replayed();
      // As for kairos live above: the bars are driven once the strategy listens at the venue (a
      // bar that closes before its subscription reaches the venue is one it never hears).
      await until(
        () => simServe.state.subscriptions().some((s) => s.includes('@kline')),
        60_000,
        'the strategy’s bars subscribed at the venue',
      );
      viaApi = await drive(simServe, (k) =>
        until(
          async () => {
            instance = (await call('GET', `/strategies/instances/${id}/state`)).json;
            return instance.lastBarAt === bars[k]!.closeTime && instance.openOrders === 0;
          },
          15_000,
          `bar ${k} handled by the strategy on the server (it is at ${instance?.lastBarAt})`,
        ),
      );
      // The server's replay ran meanwhile (the shared account's market): none of it reached the
      // strategy on the live account.
      // (Waited for: the bars are driven faster than the replay runs on a loaded machine.)
      await until(
        async () => (await replayed())! - replayAtStart! >= 10 * MINUTE,
        30_000,
        'ten replayed bars on the server since the strategy started',
      );
      stored = (await call('GET', `/orders?accountId=${account.json.id}&limit=500`)).json.orders;
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect(await serve.exited).toBe(0);

    // ---- the same orders, at the same bars, filled alike ----
    expect(viaLive.length).toBeGreaterThanOrEqual(4);
    expect(viaApi).toEqual(viaLive);
    expect(viaApi.every((o) => o.status === 'FILLED')).toBe(true);
    expect(fillsOf(simServe)).toEqual(fillsOf(simLive));
    // The server's record of the strategy's orders is what reached the venue.
    expect(
      stored
        .filter((o) => String(o.clientOrderId).startsWith(`${instance.id}-`))
        .map((o) => `${o.clientOrderId} ${o.status}`)
        .sort(),
    ).toEqual(
      simServe.state
        .orders()
        .map((o) => `${o.clientOrderId} FILLED`)
        .sort(),
    );
    expect(instance.orders).toBe(viaLive.length);
  }, 240_000);
});
