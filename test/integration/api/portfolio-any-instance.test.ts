import type { RunningServer } from '../../../src/system/trading-server.js';
import { apiCall, openAccount } from '../../support/api-call.js';
import { sharedLogServers, type SharedLogServers } from '../../support/shared-log-servers.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';

type Json = Record<string, unknown>;

/**
 * Behind a balancer any instance takes `GET /positions` and `GET /balances` (and a WebSocket
 * snapshot of them): an account's
 * positions and balances live in its owner's trading core, and an instance that does not own
 * the account asks the owner (issue 16), so every instance answers the same; before, it listed
 * none for that account, as if it were flat and had no cash.
 */
describe('positions and balances read through any instance', () => {
  let servers: SharedLogServers;
  let account = '';
  beforeAll(async () => {
    servers = await sharedLogServers('portfolio', {
      keep: 100,
      // Bars move (5 a second) so a market order fills at the next one.
      replay: { speed: 300, bars: 3000 },
      before: async (first) => {
        account = await openAccount(first.server.url, first.token, 'portfolio', '1000000');
      },
    });
  }, 120_000);
  afterAll(async () => {
    await servers?.close();
  });

  const get = async (server: RunningServer, route: string) => {
    const r = await apiCall(server.url, 'GET', route, { token: servers.t.token });
    expect(r.status).toBe(200);
    return r.json as Json;
  };
  /** The fields no bar changes (quantity, cash), so two reads a bar apart still agree. */
  const positions = async (server: RunningServer, query = `?accountId=${account}`) =>
    ((await get(server, `/positions${query}`)).positions as Json[])
      .filter((p) => p.accountId === account)
      .map((p) => [p.instrumentId, p.quantity, p.averagePrice]);
  const balances = async (server: RunningServer) =>
    ((await get(server, `/balances?accountId=${account}`)).balances as Json[]).map((b) => [
      b.currency,
      b.cash,
    ]);

  it('an instance that does not own the account answers what its owner holds', async () => {
    const { a, b, t } = servers;
    const owner = await until(
      () => [a, b].find((s) => s.ownership.owns(account)),
      30_000,
      'an owner of the account',
    );
    const other = owner === a ? b : a;
    expect(other.ownership.owns(account)).toBe(false);

    // A market buy through the instance that does not own the account (handed to the owner),
    // once the owner's core has a reference price (before its first bar the gate denies it,
    // NO_REFERENCE_PRICE, and nothing is sent: on a loaded machine the first bar can be late).
    let attempt = 0;
    const placed = await until(
      async () => {
        const r = await apiCall(other.url, 'POST', '/orders', {
          token: t.token,
          headers: { 'idempotency-key': `portfolio-${++attempt}` },
          body: {
            accountId: account,
            instrumentId: 'BTC/X',
            side: 'BUY',
            type: 'MARKET',
            quantity: '2',
          },
        });
        if (r.status === 422 && (r.json as Json).code === 'NO_REFERENCE_PRICE') return false;
        return r;
      },
      30_000,
      "a reference price on the owner's core",
    );
    expect(placed.status).toBe(201);
    const id = placed.json.clientOrderId as string;
    await until(
      async () => ((await get(owner, `/orders/${id}`)).order as Json)?.status === 'FILLED',
      30_000,
      `order ${id} filled`,
    );

    const held = await positions(owner);
    expect(held).toHaveLength(1);
    expect(held[0]![1]).toBe('2');
    expect(await positions(other)).toEqual(held);
    // Listed with the caller's other accounts too.
    expect(await positions(other, '')).toEqual(held);
    const cash = await balances(owner);
    expect(cash.length).toBeGreaterThan(0);
    expect(await balances(other)).toEqual(cash);

    // A WebSocket resume on the other instance that falls back to a snapshot (an `after` this
    // log never reached) reads the owner's too: its positions and balances, never an empty list.
    const socket = await subscribedSocket<Json & { type: string }>(
      other.url,
      t.token,
      ['positions', 'balances'],
      {
        [account]: 1_000_000_000,
      },
    );
    try {
      const snapshot = (channel: string) =>
        socket.frames.find((f) => f.type === 'snapshot' && f.channel === channel)!;
      expect(snapshot('positions').resumed).toBe(false);
      expect(
        (snapshot('positions').positions as Json[]).map((p) => [
          p.instrumentId,
          p.quantity,
          p.averagePrice,
        ]),
      ).toEqual(held);
      expect((snapshot('balances').balances as Json[]).map((b) => [b.currency, b.cash])).toEqual(
        cash,
      );
    } finally {
      socket.close();
    }
  }, 90_000);

  it('an account the caller does not see is refused by the instance taken, as on one instance', async () => {
    const r = await apiCall(servers.b.url, 'GET', '/positions?accountId=acc-nobody', {
      token: servers.t.token,
    });
    expect([r.status, r.json.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
  });
});
