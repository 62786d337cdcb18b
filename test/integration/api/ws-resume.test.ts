import type { RedisEventLog } from '../../../src/scalability/bus/redis-event-log.js';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { apiCall, openAccount } from '../../support/api-call.js';
import type { TestServer } from '../../support/api-server.js';
import { sharedLogServers, type SharedLogServers } from '../../support/shared-log-servers.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';

interface Frame {
  readonly type: string;
  readonly seq?: number;
  readonly kind?: string;
  readonly accountId?: string;
  readonly channel?: string;
  readonly resumed?: boolean | Readonly<Record<string, boolean>>;
  readonly order?: { readonly clientOrderId: string; readonly status: string };
  readonly orders?: readonly { readonly clientOrderId: string }[];
}

/** Frames the log keeps per channel: a few orders' worth. */
const KEEP = 8;
const CHANNELS = ['orders', 'positions', 'balances'];

/**
 * Issue 16, the WebSocket: two instances sharing Redis (one event log) and one database. A frame
 * made on one reaches a client of the other, with consecutive sequences; a client that
 * reconnects to the other instance with its last sequence gets exactly what it missed; past the
 * log's bound it gets the account's state with `resumed: false`.
 */
describe('WebSocket frames through the shared event log, resumed on any instance', () => {
  let servers: SharedLogServers;
  let t: TestServer;
  let a: RunningServer;
  let b: RunningServer;
  let account: string;
  let log: RedisEventLog;
  let keys = 0;

  beforeAll(async () => {
    servers = await sharedLogServers('ws_resume', {
      keep: KEEP,
      env: { KAIROS_WS_RESUME_EVENTS: String(KEEP) },
      // The second instance starts with the account known (ownership is another slice).
      before: async (first) => {
        account = await openAccount(first.server.url, first.token, 'ws-resume');
      },
    });
    ({ t, a, b, log } = servers);
  }, 120_000);
  afterAll(async () => {
    await servers?.close();
  });

  /** A resting limit order of tom's (far below the market), on `on`: its id. */
  // Through the instance that owns the account now (the other answers 503
  // ACCOUNT_OWNER_UNAVAILABLE: `docs/scalability.md`, "Ownership"), preferring `server`.
  const place = async (server: RunningServer, on = account) => {
    const owner = await until(
      () => [server, server === a ? b : a].find((s) => s.ownership.owns(on)),
      30_000,
      `an owner of ${on}`,
    );
    const r = await apiCall(owner.url, 'POST', '/orders', {
      token: t.token,
      headers: { 'idempotency-key': `ws-resume-${keys++}` },
      body: {
        accountId: on,
        instrumentId: 'BTC/X',
        side: 'BUY',
        type: 'LIMIT',
        quantity: '1',
        price: '0.0001',
      },
    });
    expect(r.status).toBe(201);
    return r.json.clientOrderId as string;
  };
  /** Runs `fn`, then closes `socket` whatever happens. */
  const closing = async (socket: { close(): void }, fn: () => Promise<void>) => {
    try {
      await fn();
    } finally {
      socket.close();
    }
  };
  /** The account's frames a socket got, in arrival order. */
  const accountFrames = (frames: readonly Frame[]) =>
    frames.filter((f) => f.accountId === account && f.type !== 'snapshot');
  /** Waits until the log's frames of the account all reached `frames` (through `b` or `a`). */
  const caughtUp = async (frames: readonly Frame[]) => {
    const last = await until(
      async () => {
        const n = await log.last(`ws:${account}`);
        return n > 0 && n;
      },
      10_000,
      'frames in the log',
    );
    await until(
      () => accountFrames(frames).some((f) => f.seq === last),
      10_000,
      `frame ${last} on the socket`,
    );
    return last;
  };
  /** Waits until `ids` are all accepted as `frames` show them (no frame of theirs is to come). */
  const accepted = (frames: readonly Frame[], ids: readonly string[]) =>
    until(
      () =>
        ids.every((id) =>
          frames.some((f) => f.order?.clientOrderId === id && f.kind === 'OrderAccepted'),
        ),
      20_000,
      'orders accepted on the socket',
    );

  it('an order placed on A reaches a client of B, every frame once, with consecutive sequences', async () => {
    const onB = await subscribedSocket<Frame>(b.url, t.token, CHANNELS);
    await closing(onB, async () => {
      const id = await place(a);
      await accepted(onB.frames, [id]);
      const last = await caughtUp(onB.frames);
      const seqs = accountFrames(onB.frames).map((f) => f.seq);
      expect(seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      expect(accountFrames(onB.frames).every((f) => f.order?.clientOrderId === id)).toBe(true);
    });
  }, 60_000);

  it('a client that reconnects to the other instance with `after` gets exactly the frames it missed, then live ones', async () => {
    const onB = await subscribedSocket<Frame>(b.url, t.token, CHANNELS);
    const watcher = await subscribedSocket<Frame>(a.url, t.token, CHANNELS);
    await closing(watcher, async () => {
      // What the client has seen: every frame so far (the previous test waited for them all).
      const before = await log.last(`ws:${account}`);
      onB.close();
      const missed = [await place(a), await place(a)];
      await accepted(watcher.frames, missed);
      const last = await caughtUp(watcher.frames);
      expect(last - before).toBeLessThanOrEqual(KEEP);

      const back = await subscribedSocket<Frame>(a.url, t.token, ['orders'], {
        [account]: before,
      });
      await closing(back, async () => {
        const replayed = accountFrames(back.frames);
        expect(replayed.map((f) => f.seq)).toEqual(
          Array.from({ length: last - before }, (_, i) => before + i + 1),
        );
        expect(replayed.map((f) => f.order?.clientOrderId)).toEqual(
          accountFrames(watcher.frames)
            .filter((f) => f.seq! > before)
            .map((f) => f.order?.clientOrderId),
        );
        expect(back.frames.find((f) => f.type === 'subscribed')).toEqual({
          type: 'subscribed',
          channel: 'orders',
          resumed: { [account]: true },
          // desk (not resumed) starts at its end now.
          from: { [account]: before, desk: expect.any(Number) },
        });
        // Then live, from B's orders too: nothing twice.
        const next = await place(b);
        await accepted(back.frames, [next]);
        const seqs = accountFrames(back.frames).map((f) => f.seq!);
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        expect(seqs[0]).toBe(before + 1);
      });
    });
  }, 60_000);

  it('past the bound, a resume gets the open orders with `resumed: false`, then live frames', async () => {
    const watcher = await subscribedSocket<Frame>(a.url, t.token, CHANNELS);
    await closing(watcher, async () => {
      const before = await log.last(`ws:${account}`);
      const ids: string[] = [];
      for (let i = 0; i < KEEP; i++) ids.push(await place(a));
      await accepted(watcher.frames, ids);
      const last = await caughtUp(watcher.frames);
      expect((await log.read(`ws:${account}`, before, 100)).truncated).toBe(true);

      const back = await subscribedSocket<Frame>(b.url, t.token, ['orders'], {
        [account]: before,
      });
      await closing(back, async () => {
        const snapshot = back.frames.find((f) => f.type === 'snapshot');
        expect(snapshot).toMatchObject({
          type: 'snapshot',
          channel: 'orders',
          accountId: account,
          resumed: false,
        });
        expect(snapshot!.seq).toBeGreaterThanOrEqual(last);
        // Every open order of the account (all of them rest), the ones missed included.
        const open = new Set(snapshot!.orders!.map((o) => o.clientOrderId));
        for (const id of ids) expect(open.has(id)).toBe(true);
        expect(back.frames.find((f) => f.type === 'subscribed')).toMatchObject({
          resumed: { [account]: false },
        });
        // No frame before the snapshot's sequence is replayed.
        expect(accountFrames(back.frames).every((f) => f.seq! > snapshot!.seq!)).toBe(true);
      });
    });
  }, 60_000);

  it('an account opened after the client subscribed: its frames from the first one', async () => {
    const onB = await subscribedSocket<Frame>(b.url, t.token, CHANNELS);
    await closing(onB, async () => {
      const opened = await apiCall(b.url, 'POST', '/accounts', {
        token: t.token,
        body: { name: 'ws-later', startingCash: '10' },
      });
      expect(opened.status).toBe(201);
      const later = opened.json.id as string;
      await accepted(onB.frames, [await place(b, later)]);
      const seqs = onB.frames.filter((f) => f.accountId === later).map((f) => f.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    });
  }, 60_000);

  it('refuses a bad `after`, naming the field, and one naming an account the user does not see', async () => {
    const ws = await subscribedSocket<Frame & { code?: string; detail?: string }>(
      b.url,
      t.token,
      [],
    );
    try {
      const cases: [unknown, string, RegExp][] = [
        [{ [account]: -1 }, 'WS_BAD_MESSAGE', /^message\.after/],
        [{ [account]: 1.5 }, 'WS_BAD_MESSAGE', /^message\.after/],
        ['17', 'WS_BAD_MESSAGE', /^message\.after/],
        [{}, 'WS_BAD_MESSAGE', /^message\.after/],
        [{ 'a b': 1 }, 'WS_BAD_MESSAGE', /^message\.after/],
        [{ 'acc-0000000000000000': 1 }, 'ACCOUNT_NOT_FOUND', /^after\.acc-0000000000000000: /],
      ];
      for (const [after, code, detail] of cases) {
        const seen = ws.frames.length;
        ws.send({ type: 'subscribe', channel: 'orders', after });
        const answer = await until(() => ws.frames.slice(seen).find((f) => f.type === 'error'));
        expect([answer.code, answer.detail]).toEqual([code, expect.stringMatching(detail)]);
      }
      // Nothing was subscribed.
      expect(ws.frames.filter((f) => f.type === 'subscribed')).toEqual([]);
    } finally {
      ws.close();
    }
  });
});
