import type { RedisEventLog } from '../../../src/scalability/bus/redis-event-log.js';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { apiCall, openAccount } from '../../support/api-call.js';
import { secondTrader, type TestServer } from '../../support/api-server.js';
import { sharedLogServers, type SharedLogServers } from '../../support/shared-log-servers.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';

interface Frame {
  readonly type: string;
  readonly seq?: number;
  readonly channel?: string;
  readonly accountId?: string;
  readonly change?: string;
  readonly state?: string;
  readonly reason?: string | null;
  readonly actor?: string;
  readonly role?: string;
  readonly name?: string;
  readonly value?: string;
  readonly scope?: Readonly<Record<string, string>>;
  readonly tradingState?: string;
  readonly resumed?: boolean | Readonly<Record<string, boolean>>;
  readonly risk?: {
    readonly tradingState: string;
    readonly states: { readonly account: string };
    readonly limits: { readonly account: Readonly<Record<string, string>> };
  };
  readonly code?: string;
  readonly detail?: string;
}

/**
 * Issue 16, the bus: an account's kill switch and limits reach the WebSocket clients of every
 * instance on the `risk` channel. Two instances share Redis (one event log) and one database;
 * a change made through one reaches a client of the other, in order, with the channel's own
 * sequence; a client resumes on either; another trader is refused the account.
 */
describe('WebSocket `risk` channel across instances', () => {
  let servers: SharedLogServers;
  let t: TestServer;
  let a: RunningServer;
  let b: RunningServer;
  let account: string;
  let tina: { id: string; token: string };
  let tinas: string;
  let log: RedisEventLog;

  beforeAll(async () => {
    servers = await sharedLogServers('ws_risk', {
      keep: 1000,
      // tom's account and tina's, known to both instances at start.
      before: async (first) => {
        tina = await secondTrader(first);
        account = await openAccount(first.server.url, first.token, 'ws-risk');
        tinas = await openAccount(first.server.url, tina.token, 'ws-risk-tina');
      },
    });
    ({ t, a, b, log } = servers);
    // A change of one account is applied by its owner before the answer: one must own it.
    for (const id of [account, tinas])
      await until(() => a.ownership.owns(id) || b.ownership.owns(id), 30_000, `an owner of ${id}`);
  }, 120_000);
  afterAll(async () => {
    await servers?.close();
  });

  const riskOf = (frames: readonly Frame[], id = account) =>
    frames.filter((f) => f.type === 'risk' && f.accountId === id);
  const call = async (server: RunningServer, method: 'POST' | 'PUT', url: string, body: object) => {
    const r = await apiCall(server.url, method, url, { token: t.tokens.risk, body });
    expect(r.status).toBe(200);
  };

  it('a client on A gets a halt and a limit change made through B, in order, after a snapshot', async () => {
    const onA = await subscribedSocket<Frame>(a.url, t.token, ['risk']);
    try {
      // The snapshot: the account trades, nothing is in its channel yet (opening it made no frame).
      const snap = onA.frames.find((f) => f.type === 'snapshot' && f.accountId === account);
      expect(snap).toMatchObject({ channel: 'risk', seq: 0, risk: { tradingState: 'ACTIVE' } });
      // His account only: neither tina's nor the shared one (whose risk is the oversight roles').
      const snaps = onA.frames.filter((f) => f.type === 'snapshot').map((f) => f.accountId);
      expect(snaps).toEqual([account]);

      await call(b, 'POST', '/risk/halt', { accountId: account, reason: 'runaway strategy' });
      await call(b, 'PUT', '/risk/limits/maxOrderQuantity', { value: '5', accountId: account });
      await until(() => riskOf(onA.frames).length === 2, 10_000, 'two risk frames on A');
      expect(riskOf(onA.frames)).toEqual([
        expect.objectContaining({
          seq: 1,
          change: 'state',
          scope: { accountId: account },
          state: 'HALTED',
          reason: 'runaway strategy',
          actor: `user:${t.users.risk.id}`,
          role: 'risk',
          tradingState: 'HALTED',
        }),
        expect.objectContaining({
          seq: 2,
          change: 'limit',
          scope: { accountId: account },
          name: 'maxOrderQuantity',
          value: '5',
          tradingState: 'HALTED',
        }),
      ]);
      // Risk frames have their own sequence: the account's order channel holds none of them.
      expect(await log.last(`ws:${account}`)).toBe(0);
      expect(await log.last(`ws:risk:${account}`)).toBe(2);
    } finally {
      onA.close();
    }
  }, 60_000);

  it('a client that reconnects to B with `after` gets what it missed, then live frames', async () => {
    const last = await log.last(`ws:risk:${account}`);
    // Missed while away: a resume through A and a limit for every account.
    await call(a, 'POST', '/risk/resume', { accountId: account });
    await call(a, 'PUT', '/risk/limits/maxOrderValue', { value: '100000' });
    const onB = await subscribedSocket<Frame>(b.url, t.token, ['risk'], { [account]: last });
    try {
      await until(() => riskOf(onB.frames).length === 2, 10_000, 'the missed frames on B');
      expect(onB.frames.find((f) => f.type === 'subscribed')).toMatchObject({
        channel: 'risk',
        resumed: { [account]: true },
      });
      // No snapshot for the account resumed; the other account of tom's (none) neither.
      expect(onB.frames.some((f) => f.type === 'snapshot' && f.accountId === account)).toBe(false);
      expect(riskOf(onB.frames)).toEqual([
        expect.objectContaining({ seq: last + 1, change: 'state', state: 'ACTIVE' }),
        expect.objectContaining({
          seq: last + 2,
          change: 'limit',
          scope: {},
          name: 'maxOrderValue',
          tradingState: 'ACTIVE',
        }),
      ]);
      // Then live, through the other instance: tom halts himself (his user's switch).
      const r = await apiCall(a.url, 'POST', '/risk/halt', {
        token: t.token,
        body: { userId: t.users.trader.id, reason: 'stepping away' },
      });
      expect(r.status).toBe(200);
      await until(() => riskOf(onB.frames).length === 3, 10_000, 'the live frame on B');
      expect(riskOf(onB.frames)[2]).toMatchObject({
        seq: last + 3,
        scope: { userId: t.users.trader.id },
        state: 'HALTED',
        tradingState: 'HALTED',
      });
    } finally {
      onB.close();
    }
  }, 60_000);

  it("another trader cannot subscribe to tom's account's risk, and gets none of its frames", async () => {
    const ws = await subscribedSocket<Frame>(b.url, tina.token, []);
    try {
      for (const channel of ['orders', 'risk']) {
        const seen = ws.frames.length;
        ws.send({ type: 'subscribe', channel, after: { [account]: 0 } });
        const answer = await until(() => ws.frames.slice(seen).find((f) => f.type === 'error'));
        expect([answer.code, answer.detail]).toEqual([
          'ACCOUNT_NOT_FOUND',
          `after.${account}: account ${account} not found`,
        ]);
      }
      ws.send({ type: 'subscribe', channel: 'risk' });
      await until(() => ws.frames.some((f) => f.type === 'subscribed'));
      // A halt of every account: hers reaches her, tom's does not.
      await call(a, 'POST', '/risk/halt', { reason: 'market closed' });
      await until(() => riskOf(ws.frames, tinas).length === 1, 10_000, "tina's frame");
      await call(a, 'POST', '/risk/resume', {});
      await until(() => riskOf(ws.frames, tinas).length === 2, 10_000, "tina's second frame");
      expect(ws.frames.filter((f) => f.accountId === account)).toEqual([]);
      expect(ws.frames.find((f) => f.type === 'snapshot')).toMatchObject({ accountId: tinas });
    } finally {
      ws.close();
    }
  }, 60_000);

  it('an admin and the risk role get every account', async () => {
    for (const token of [t.tokens.admin, t.tokens.risk]) {
      const ws = await subscribedSocket<Frame>(a.url, token, ['risk']);
      try {
        const snaps = ws.frames.filter((f) => f.type === 'snapshot').map((f) => f.accountId);
        expect(snaps).toEqual(expect.arrayContaining([account, tinas]));
      } finally {
        ws.close();
      }
    }
  }, 60_000);
});
