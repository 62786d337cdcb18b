/**
 * The same venue option given to `kairos live` and to `kairos serve` (whose live account trades
 * on it) reaches the venue the same way: here the venue's clock, 90 s ahead of ours (past
 * Binance's largest recvWindow, 60 s), so only requests stamped in venue time (`ClockSkew`) are
 * taken. Each path subscribes its account's private stream (the WebSocket API's signed
 * `userDataStream.subscribe.signature`) and places orders over REST with no timestamp refusal
 * (-1021). Until 2026-12-07 `kairos live` built its private stream apart from `kairos serve` and
 * did not stamp it: the subscription was refused and fills came through reconciliation only.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'otplib';
import type { BinanceSim } from '../../src/simulators/binance/server.js';
import { apiCall } from '../support/api-call.js';
import { LIVE_ARGS, spawnLive, startLiveSim } from '../support/ccxt-sim.js';
import { openLiveAccount } from '../support/live-account.js';
import { btcSlice } from '../support/paper-args.js';
import { processSchema } from '../support/spawn-schema.js';
import { createTrader, spawnServe } from '../support/spawn-serve.js';
import { until } from '../support/until.js';

const AHEAD_MS = 90_000;

describe('a venue option reaches the venue the same way from kairos live and a served live account', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-venue-options-'));
  // Each run's store a Postgres schema (`processSchema`): the venue option is the subject, not
  // the embedded store.
  const liveDb = processSchema('options_live');
  const serveDb = processSchema('options_serve');
  let sim: BinanceSim;
  beforeAll(async () => {
    sim = await startLiveSim({ clock: { now: () => Date.now() + AHEAD_MS } });
  });
  afterAll(async () => {
    await sim.close();
  });

  /** Private-stream subscriptions and orders at the venue once `path` runs, then its output. */
  const reached = async () => {
    await until(() => sim.state.userDataListeners() === 1, 30_000, 'the private stream subscribed');
  };

  it('kairos live: REST and the private stream stamped in venue time', async () => {
    const { child, output, exited } = spawnLive(sim, path.join(dir, 'live'), LIVE_ARGS, liveDb.env);
    try {
      await until(() => /trading from/.test(output()), 60_000, 'the node to start');
      await reached();
      await until(() => sim.state.orders().length >= 1, 60_000, 'an order at the venue');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output()).not.toMatch(/-1021|outside of the recvWindow/);
    await until(() => sim.state.userDataListeners() === 0, 10_000, 'the stream closed');
  }, 120_000);

  it('kairos serve: a live account on the venue, the same', async () => {
    const home = path.join(dir, 'serve');
    const password = 'trader passphrase number 7';
    const secret = createTrader(home, password, serveDb.env);
    const before = sim.state.orders().length;
    const serve = spawnServe(
      { ...serveDb.env, KAIROS_VENUES: 'binance', EXCHANGE_URL: sim.url },
      btcSlice(path.join(dir, 'BTC-1m.json'), 300),
      home,
    );
    try {
      const url = await serve.api();
      const first = await apiCall(url, 'POST', '/auth/login', {
        body: { username: 'tom', password },
      });
      const code = await generate({ secret, epoch: Math.floor(Date.now() / 1000) });
      const mfa = await apiCall(url, 'POST', '/auth/mfa', {
        body: { challenge: first.json.challenge, code },
      });
      const token = mfa.json.accessToken as string;
      let keys = 0;
      const call = (method: string, route: string, body?: unknown) =>
        apiCall(url, method, route, {
          token,
          headers: { 'idempotency-key': `k${keys++}` },
          ...(body === undefined ? {} : { body }),
        });
      const { account } = await openLiveAccount(call, sim);
      expect([account.status, account.json.venueStatus?.venue]).toEqual([201, 'UP']);
      await reached();
      const placed = await call('POST', '/orders', {
        accountId: account.json.id,
        instrumentId: 'BTC/USDT',
        side: 'BUY',
        type: 'LIMIT',
        price: '1000',
        quantity: '0.01',
      });
      expect([placed.status, placed.json?.detail]).toEqual([201, undefined]);
      await until(() => sim.state.orders().length > before, 30_000, 'the order at the venue');
    } finally {
      serve.child.kill('SIGTERM');
    }
    await serve.exited;
    expect(serve.out()).not.toMatch(/-1021|outside of the recvWindow/);
  }, 120_000);
});
