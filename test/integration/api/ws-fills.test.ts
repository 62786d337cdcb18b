import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { apiCall } from '../../support/api-call.js';
import { replayPriced, startTestServer, type TestServer } from '../../support/api-server.js';
import { dropTestSchema, TEST_DATABASE_URL } from '../../support/postgres.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';

interface FillView {
  readonly accountId: string;
  readonly clientOrderId: string;
  readonly tradeId: string;
  readonly instrumentId: string;
  readonly price: string;
  readonly quantity: string;
}
interface Frame {
  readonly type: string;
  readonly seq?: number;
  readonly channel?: string;
  readonly accountId?: string;
  readonly fill?: FillView;
  readonly fills?: readonly FillView[];
  readonly resumed?: boolean | Readonly<Record<string, boolean>>;
}

/**
 * Frames the log keeps per channel. A market order that fills makes about nine frames of its
 * account (its order events, the fill on `orders` and on `fills`, a position, a balance): one
 * missed fill is within the bound, four are past it.
 */
const KEEP = 14;

/**
 * Issue 15, the WebSocket: an account's `fills` channel carries its fills alone, each as
 * `GET /fills` shows it, with the account's sequence; a client resumes after its last fill, and
 * past the log's bound gets the account's newest fills in a snapshot with `resumed: false`.
 */
describe('the WebSocket fills channel', () => {
  const schema = `kairos_ws_fills_${process.pid}_${randomBytes(4).toString('hex')}`;
  let t: TestServer;
  let server: RunningServer;
  let account: string;
  let keys = 0;

  beforeAll(async () => {
    // Bars move (5 a second) so market orders fill at the next bar.
    t = await startTestServer({
      speed: 300,
      bars: 3000,
      postgresSchema: schema,
      env: { KAIROS_WS_RESUME_EVENTS: String(KEEP) },
    });
    server = t.server;
    const opened = await apiCall(server.url, 'POST', '/accounts', {
      token: t.token,
      body: { name: 'fills', startingCash: '1000000' },
    });
    expect(opened.status).toBe(201);
    account = opened.json.id as string;
    await replayPriced(t);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await dropTestSchema(schema);
  });

  /** A market buy of `quantity` on the account, waited on until FILLED: its client order id. */
  const buyFilled = async (quantity: string) => {
    const r = await apiCall(server.url, 'POST', '/orders', {
      token: t.token,
      headers: { 'idempotency-key': `ws-fills-${keys++}` },
      body: { accountId: account, instrumentId: 'BTC/X', side: 'BUY', type: 'MARKET', quantity },
    });
    expect(r.status).toBe(201);
    const id = r.json.clientOrderId as string;
    // FILLED as the account's core holds it (its commit may still be on its way).
    await until(
      async () =>
        (await apiCall(server.url, 'GET', `/orders/${id}`, { token: t.token })).json?.order
          ?.status === 'FILLED',
      30_000,
      `order ${id} filled`,
    );
    return id;
  };
  const routeFills = async (): Promise<FillView[]> => {
    const r = await apiCall(server.url, 'GET', `/fills?accountId=${account}&limit=500`, {
      token: t.token,
    });
    expect(r.status).toBe(200);
    return r.json.fills as FillView[];
  };
  const fillFrames = (frames: readonly Frame[]) =>
    frames.filter((f) => f.type === 'fill' && f.accountId === account);

  it('pushes each fill alone, as GET /fills shows it, and resumes after the last one seen', async () => {
    const ws = await subscribedSocket<Frame>(server.url, t.token, ['fills']);
    let last: number;
    try {
      const id = await buyFilled('1');
      await until(() => fillFrames(ws.frames).length === 1, 10_000, 'the fill frame');
      // Only fills on this channel: no order, position or balance frame.
      const control = ['authenticated', 'subscribed'];
      expect(ws.frames.filter((f) => !control.includes(f.type)).map((f) => f.type)).toEqual([
        'fill',
      ]);
      const [frame] = fillFrames(ws.frames);
      expect(frame!.fill).toEqual((await routeFills()).find((f) => f.clientOrderId === id));
      last = frame!.seq!;
    } finally {
      ws.close();
    }
    // Missed while away: one fill (fewer frames than the log keeps).
    const missed = await buyFilled('2');
    const back = await subscribedSocket<Frame>(server.url, t.token, ['fills'], {
      [account]: last,
    });
    try {
      await until(() => fillFrames(back.frames).length === 1, 10_000, 'the missed fill');
      expect(fillFrames(back.frames)[0]!.fill!.clientOrderId).toBe(missed);
      expect(fillFrames(back.frames)[0]!.seq).toBeGreaterThan(last);
      const subscribed = back.frames.find((f) => f.type === 'subscribed');
      expect(subscribed?.resumed).toEqual({ [account]: true });
      expect(back.frames.some((f) => f.type === 'snapshot')).toBe(false);
    } finally {
      back.close();
    }
  }, 90_000);

  it('tells a fill only once it is stored: while its commit waits, no frame of it goes out', async () => {
    const side = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await side.connect();
    const ws = await subscribedSocket<Frame>(server.url, t.token, ['fills']);
    try {
      // Inserts into the fills table wait for this transaction (reads do not): the fill's
      // commit is held while the core has the order FILLED.
      await side.query('begin');
      await side.query(`lock table ${schema}.fills in share mode`);
      const id = await buyFilled('1');
      await until(
        async () =>
          (
            await side.query(
              `select 1 from pg_locks l join pg_class c on c.oid = l.relation
                join pg_namespace n on n.oid = c.relnamespace
                where not l.granted and c.relname = 'fills' and n.nspname = $1`,
              [schema],
            )
          ).rowCount === 1,
        10_000,
        'the fill commit waiting',
      );
      // A round trip on the socket: a frame appended when the fill was applied is here by now.
      ws.send({ type: 'subscribe', channel: 'risk' });
      await until(
        () => ws.frames.filter((f) => f.type === 'subscribed').length === 2,
        10_000,
        'subscribed to risk',
      );
      expect(fillFrames(ws.frames)).toEqual([]);
      await side.query('rollback');
      await until(() => fillFrames(ws.frames).length === 1, 10_000, 'the fill frame');
      // As soon as it is told, it is read.
      const told = fillFrames(ws.frames)[0]!.fill!;
      expect(told.clientOrderId).toBe(id);
      expect((await routeFills()).find((f) => f.clientOrderId === id)).toEqual(told);
    } finally {
      ws.close();
      await side.end();
    }
  }, 90_000);

  it('past the bound, sends the newest fills in a snapshot with resumed: false', async () => {
    const ws = await subscribedSocket<Frame>(server.url, t.token, ['fills']);
    let last: number;
    try {
      await buyFilled('1');
      await until(() => fillFrames(ws.frames).length === 1, 10_000, 'the fill frame');
      last = fillFrames(ws.frames)[0]!.seq!;
    } finally {
      ws.close();
    }
    for (const q of ['1', '1', '1', '1']) await buyFilled(q);
    const back = await subscribedSocket<Frame>(server.url, t.token, ['fills'], {
      [account]: last,
    });
    try {
      const snapshot = await until(
        () => back.frames.find((f) => f.type === 'snapshot'),
        10_000,
        'a snapshot',
      );
      expect(snapshot).toMatchObject({ channel: 'fills', accountId: account, resumed: false });
      expect(snapshot.fills).toEqual(await routeFills());
    } finally {
      back.close();
    }
  }, 90_000);
});
