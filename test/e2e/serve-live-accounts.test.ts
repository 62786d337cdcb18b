import path from 'node:path';
import { generate } from 'otplib';
import type { BinanceSim } from '../../src/simulators/binance/server.js';
import { apiCall } from '../support/api-call.js';
import { openLiveAccount } from '../support/live-account.js';
import { startLiveSim } from '../support/ccxt-sim.js';
import { btcSlice } from '../support/paper-args.js';
import { processSchema } from '../support/spawn-schema.js';
import { createTrader, spawnServe } from '../support/spawn-serve.js';
import { until } from '../support/until.js';
import { subscribedSocket } from '../support/ws-client.js';
import { tempDir } from '../support/temp-dir.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

interface Frame {
  readonly type: string;
  readonly fill?: { readonly clientOrderId: string; readonly accountId: string };
}

/**
 * The README's walk-through as processes: `kairos serve` with `KAIROS_VENUES=binance` and
 * `EXCHANGE_URL` at the Binance simulator; a trader stores their key, opens a live account on it
 * and a paper account, trades both and watches each fill on the WebSocket under its own account;
 * the server stopped and started again recovers the live account from the venue.
 */
describe('kairos serve: a trader’s live account on the simulator next to their paper account', () => {
  const dir = tempDir('kairos-live-serve-');
  const home = path.join(dir, 'home');
  const data = btcSlice(path.join(dir, 'BTC-1m.json'), 3000);
  const password = 'trader passphrase number 2';
  // The install's store a Postgres schema (`processSchema`): the accounts are the subject, not
  // the embedded store, and PGlite would run every commit of both servers in the process.
  const db = processSchema('live_accounts');
  let sim: BinanceSim;
  let secret = '';
  let serve: ReturnType<typeof spawnServe> | null = null;

  beforeAll(async () => {
    sim = await startLiveSim();
    secret = createTrader(home, password, db.env);
  }, 60_000);
  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    await serve?.exited;
    await sim?.close();
  });

  const start = async () => {
    serve = spawnServe({ ...db.env, KAIROS_VENUES: 'binance', EXCHANGE_URL: sim.url }, data, home);
    return serve.api();
  };
  const login = async (url: string) => {
    const first = await apiCall(url, 'POST', '/auth/login', {
      body: { username: 'tom', password },
    });
    const code = await generate({ secret, epoch: Math.floor(Date.now() / 1000) });
    const mfa = await apiCall(url, 'POST', '/auth/mfa', {
      body: { challenge: first.json.challenge, code },
    });
    expect(mfa.status).toBe(200);
    return mfa.json.accessToken as string;
  };

  it('stores a key, opens a live and a paper account, trades both, sees each fill under its account; recovers after a restart', async () => {
    let url = await start();
    const token = await login(url);
    const call = (method: string, route: string, body?: unknown, key?: string) =>
      apiCall(url, method, route, {
        token,
        ...(body === undefined ? {} : { body }),
        ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }),
      });
    const { credential: cred, account: live } = await openLiveAccount(call, sim);
    expect(cred.status).toBe(201);
    expect(JSON.stringify(cred.json)).not.toContain(sim.secret);
    expect([live.status, live.json.venueStatus?.venue]).toEqual([201, 'UP']);
    const paper = await call('POST', '/accounts', { name: 'practice', startingCash: '100000' });
    expect(paper.status).toBe(201);
    // A paper account on the venue's live market (as `kairos paper --exchange`): simulated cash,
    // fills on the venue's bars, nothing sent to it.
    const onVenue = await call('POST', '/accounts', {
      name: 'rehearsal',
      venue: 'binance',
      startingCash: '50000',
    });
    expect(onVenue.json).toMatchObject({ mode: 'paper', venue: 'binance', currency: 'USDT' });
    // A venue this server does not have is named.
    const nowhere = await call('POST', '/accounts', {
      name: 'x',
      venue: 'kraken',
      startingCash: '1',
    });
    expect([nowhere.status, nowhere.json.code]).toEqual([422, 'VENUE_NOT_CONFIGURED']);
    expect(nowhere.json.detail).toMatch(/"kraken".*binance/);

    const ws = await subscribedSocket<Frame>(url, token, ['orders']);
    let tries = 0;
    /** A market buy accepted; a new key each try: one denied (no price yet) stays denied. */
    const accepted = async (accountId: string, quantity: string, what: string) => {
      let placed: Json = null;
      await until(
        async () => {
          placed = await call(
            'POST',
            '/orders',
            { accountId, instrumentId: 'BTC/USDT', side: 'BUY', type: 'MARKET', quantity },
            `o-${tries++}`,
          );
          return placed.status === 201;
        },
        30_000,
        what,
      );
      return placed;
    };
    const liveOrder = await accepted(live.json.id, '0.01', 'the live order accepted');
    const onVenueOrder = await accepted(
      onVenue.json.id,
      '0.5',
      'the order on the venue-fed paper account accepted',
    );
    // The replayed market's lot is 1 (`serve`'s default --lot). Its first price may come after
    // the venue's (the two orders above no longer wait on ccxt's request spacing).
    const paperOrder = await accepted(paper.json.id, '1', 'the paper order accepted');
    expect(paperOrder.status).toBe(201);
    const fillOf = (id: string) => ws.frames.find((f) => f.fill?.clientOrderId === id)?.fill;
    await until(
      () => fillOf(liveOrder.json.clientOrderId) !== undefined,
      30_000,
      'the live fill on the WebSocket',
    );
    await until(
      () => fillOf(paperOrder.json.clientOrderId) !== undefined,
      30_000,
      'the paper fill on the WebSocket',
    );
    expect(fillOf(liveOrder.json.clientOrderId)!.accountId).toBe(live.json.id);
    expect(fillOf(paperOrder.json.clientOrderId)!.accountId).toBe(paper.json.id);
    await until(
      () => fillOf(onVenueOrder.json.clientOrderId) !== undefined,
      30_000,
      'the venue-fed paper fill on the WebSocket',
    );
    // Filled at the venue's price (BTC near 30,000), not at the replayed file's (below 1).
    const venueFill = fillOf(onVenueOrder.json.clientOrderId)! as Json;
    expect(venueFill.accountId).toBe(onVenue.json.id);
    expect(Number(venueFill.price)).toBeGreaterThan(1000);
    const cash = (await call('GET', `/balances?accountId=${onVenue.json.id}`)).json;
    expect(JSON.stringify(cash)).toMatch(/"currency":"USDT"/);
    ws.close();
    // The live order is at the venue, once; the paper ones are not.
    const atVenue = sim.state.orders().map((o) => o.clientOrderId);
    expect(atVenue).toEqual([liveOrder.json.clientOrderId]);

    const fills = async (accountId: string) => {
      let f: Json[] = [];
      await until(
        async () => {
          f = (await call('GET', `/fills?accountId=${accountId}`)).json.fills;
          return f.length > 0;
        },
        10_000,
        'fills stored',
      );
      return f;
    };
    const before = await fills(live.json.id);
    serve!.child.kill('SIGTERM');
    expect(await serve!.exited).toBe(0);

    url = await start();
    // The session survives the restart (a second login in the same 30 s would reuse the TOTP code).
    const again = await call('GET', `/accounts/${live.json.id}`);
    expect(again.json.venueStatus.venue).toBe('UP');
    expect(await fills(live.json.id)).toEqual(before);
    // Nothing was sent twice.
    expect(sim.state.orders().map((o) => o.clientOrderId)).toEqual(atVenue);
  }, 180_000);
});
