import path from 'node:path';
import { generate } from 'otplib';
import { PasswordHasher } from '../../src/security/passwords/password-hasher.js';
import { Totp } from '../../src/security/totp/totp.js';
import { openStore } from '../../src/store/open-store.js';
import { OrderRepository } from '../../src/store/order-repository.js';
import { UserRepository } from '../../src/store/user-repository.js';
import { loadConfig } from '../../src/system/config.js';
import { startTradingServer, type ServerOptions } from '../../src/system/trading-server.js';
import { toDecimal } from '../../src/trading/core/decimal.js';
import { PaperVenue } from '../../src/trading/venues/paper/paper-venue.js';
import { apiCall } from '../support/api-call.js';
import { btcInstrument, btcSlice } from '../support/paper-args.js';
import { runCli } from '../support/run-cli.js';
import { until } from '../support/until.js';
import { pgliteFolderTemplate } from '../support/stores.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * The issue-10 walk-through on one KAIROS_HOME: `kairos paper --data`, then `kairos serve` (its
 * composition, in this process) with a trader's orders, then a second paper account. Every fill
 * of every account is stored, and positions equal each paper venue's after restarts.
 */
describe('paper, serve and a second paper account on one KAIROS_HOME', () => {
  const dir = tempDir('kairos-one-home-');
  const home = path.join(dir, 'home');
  const data = btcSlice(path.join(dir, 'BTC-1m.json'), 40);
  const env = { KAIROS_HOME: home, DATABASE_URL: undefined, DATABASE_SCHEMA: undefined };
  const config = loadConfig({ KAIROS_HOME: home });
  const paper = (...extra: string[]) =>
    runCli(
      [
        'paper',
        'examples/strategies/sma-cross.ts',
        '--data',
        data,
        '--speed',
        '0',
        '--lot',
        '0.001',
        '--cash',
        '100',
        '--params',
        'fast=3,slow=7,size=100',
        '--symbol',
        'BTC/X',
        ...extra,
      ],
      env,
    );
  const venueOf = (account: string) =>
    new PaperVenue(
      path.join(home, 'paper', account, 'venue.json'),
      { venue: 'PAPER', instruments: [btcInstrument()] },
      () => undefined,
    ).state();
  const net = (rows: readonly { side: string; quantity: { toString(): string } }[]) =>
    rows
      .reduce(
        (q, r) => q.plus(toDecimal(r.quantity.toString()).times(r.side === 'BUY' ? 1 : -1)),
        toDecimal(0),
      )
      .toFixed();
  const serve = (speed: number, seed?: ServerOptions['seed']) =>
    startTradingServer(config, {
      data,
      instrument: btcInstrument(),
      cash: '1000',
      speed,
      host: '127.0.0.1',
      port: 0,
      ...(seed ? { seed } : {}),
    });

  it('stores every fill of every account; positions equal the venues’ after restarts', async () => {
    // 1. A paper replay on the default account.
    const first = paper();
    expect(first.code).toBe(0);

    // 2. The server's desk, with a trader who buys twice (its trades are PAPER-T1, PAPER-T2 too).
    const secret = new Totp(Date.now).generateSecret();
    const password = 'a trader passphrase for tests';
    // Written on the server's own store as it opens (one PGlite start in this process, not two).
    const seedTom: ServerOptions['seed'] = async (store, cipher) => {
      const users = new UserRepository(store.db);
      const u = await users.create({
        username: 'tom',
        passwordHash: await new PasswordHasher().hash(password),
        role: 'trader',
        createdAt: Date.now(),
      });
      await users.setTotpSecret(u.id, secret, cipher);
    };
    // 0.25 s a bar: the replay is still running when the trader's orders arrive.
    let deskToken: string;
    let server = await serve(240, seedTom);
    try {
      const login = await apiCall(server.url, 'POST', '/auth/login', {
        body: { username: 'tom', password },
      });
      const mfa = await apiCall(server.url, 'POST', '/auth/mfa', {
        body: {
          challenge: login.json.challenge,
          code: await generate({ secret, epoch: Math.floor(Date.now() / 1000) }),
        },
      });
      const token = mfa.json.accessToken as string;
      deskToken = token;
      // A market order needs a price: wait for the replay's first bar.
      await until(
        async () =>
          (await apiCall(server.url, 'GET', '/candles?instrumentId=BTC%2FX', { token })).json
            .candles?.length > 0,
        30_000,
        'the first bar',
      );
      for (const key of ['buy-1', 'buy-2']) {
        const placed = await apiCall(server.url, 'POST', '/orders', {
          token,
          headers: { 'idempotency-key': key },
          body: { instrumentId: 'BTC/X', side: 'BUY', type: 'MARKET', quantity: '10' },
        });
        expect([placed.status, placed.status === 201 ? null : placed.json]).toEqual([201, null]);
        const id = placed.json.clientOrderId as string;
        await until(
          async () =>
            (await apiCall(server.url, 'GET', `/orders/${id}`, { token })).json.order.status ===
            'FILLED',
          30_000,
          `${key} to fill`,
        );
      }
      await server.core.settle();
    } finally {
      await server.close();
    }

    // 3. A second paper account on the same home.
    const second = paper('--account', 'venue1');
    expect(second.stderr).not.toMatch(/RUN_CLASH|error/i);
    expect(second.code).toBe(0);

    // 4. Restarts: the server again (its replay from the start), the first paper account again.
    server = await serve(0);
    try {
      await server.replayDone;
      // The session and its signing key outlive the restart (a second login within the same
      // 30 s TOTP step would be refused as a replayed code).
      const token = deskToken;
      const desk = venueOf('desk');
      const fills = await apiCall(server.url, 'GET', '/fills', { token });
      expect(fills.json.fills.map((f: { tradeId: string }) => f.tradeId).sort()).toEqual(
        desk.trades.map((t) => t.tradeId).sort(),
      );
      const positions = await apiCall(server.url, 'GET', '/positions', { token });
      expect(
        toDecimal(
          positions.json.positions.find((p: { instrumentId: string }) => p.instrumentId === 'BTC/X')
            ?.quantity ?? '0',
        ).toFixed(),
      ).toBe(net(desk.trades));
      expect(net(desk.trades)).toBe('20');
    } finally {
      await server.close();
    }
    const again = paper();
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/resume[sd] after/);

    // Every fill of every account is stored, each account's the same as its venue's trades.
    const store = await openStore({ ...pgliteFolderTemplate(), dataDir: path.join(home, 'db') });
    try {
      for (const account of ['paper', 'venue1', 'desk']) {
        const venue = venueOf(account);
        expect(venue.trades.length).toBeGreaterThan(1);
        const stored = await new OrderRepository(store.db, account).fills();
        expect(
          stored.map((f) => `${f.tradeId} ${f.clientOrderId} ${f.price.toFixed()}`).sort(),
        ).toEqual(
          venue.trades
            .map((t) => `${t.tradeId} ${t.clientOrderId} ${toDecimal(t.price).toFixed()}`)
            .sort(),
        );
        expect(net(stored)).toBe(net(venue.trades));
      }
    } finally {
      await store.close();
    }
    expect(toDecimal(/position ([^,\s]+)/.exec(again.stdout)![1]!).toFixed()).toBe(
      net(venueOf('paper').trades),
    );

    // An account used by a replay refuses another instrument in one line, at once (exit 2).
    const clash = paper('--symbol', 'OTHER/X');
    expect(clash.code).toBe(2);
    expect(clash.stderr.trim().split('\n')).toEqual([
      'kairos: account "paper" already trades BTC/X, not OTHER/X: give this run another --account [RUN_CLASH]',
    ]);
  }, 300_000);
});
