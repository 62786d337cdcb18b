import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { dropTestSchema, TEST_DATABASE_URL } from '../../support/postgres.js';
import { TestOwnership } from '../../support/test-ownership.js';
import { deskHeldByGoneOwner } from '../../support/gone-owner.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from '../scalability/services.js';
import { installGroup } from '../../../src/system/install-group.js';
import { SHARED_ACCOUNT } from '../../../src/system/trading-accounts.js';

interface Frame {
  readonly type: string;
  readonly seq?: number;
  readonly kind?: string;
  readonly code?: string;
  readonly retrying?: boolean;
  readonly channel?: string;
  readonly accountId?: string;
  readonly resumed?: Readonly<Record<string, boolean>>;
  readonly positions?: readonly unknown[];
  readonly order?: { readonly clientOrderId: string; readonly price: string };
}

/**
 * Two installs (X and Y: two database schemas) on one Redis under one key prefix, each with its
 * own `desk`. The WebSocket event log is scoped by the install (`<prefix>events:<install>:ws:…`,
 * `docs/scalability.md`, "Key prefix"): before, both appended to `<prefix>events:ws:desk`, so a
 * client of X watching the desk got Y's desk orders (and a resume of X's read Y's frames). Also
 * scoped: the API's rate limits (user names repeat: every install has a `tom`). And a WebSocket
 * snapshot of positions on an install whose desk has no owner answering is refused with the
 * hand-off's code (`retrying`), never an empty list read as flat.
 */
describe('the WebSocket event log and rate limits of two installs on one Redis and prefix', () => {
  const tag = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const schemas = { x: `kairos_wsi_x_${tag}`, y: `kairos_wsi_y_${tag}`, z: `kairos_wsi_z_${tag}` };
  const prefix = uniquePrefix();
  const env = { REDIS_URL: TEST_REDIS_URL, KAIROS_REDIS_PREFIX: prefix };
  let x: TestServer;
  let y: TestServer;
  let redis: Redis;
  let cleanup: () => Promise<void>;
  let keys = 0;
  const sockets: { close(): void }[] = [];

  beforeAll(async () => {
    x = await startTestServer({
      postgresSchema: schemas.x,
      env,
      ownership: new TestOwnership(true),
    });
    y = await startTestServer({
      postgresSchema: schemas.y,
      env,
      ownership: new TestOwnership(true),
    });
    ({ redis, cleanup } = await testRedis(prefix));
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const s of [x, y]) await s?.server.close().catch(() => undefined);
    for (const s of Object.values(schemas)) await dropTestSchema(s);
    await cleanup?.();
  });

  /** A resting buy on the desk of `on`'s install at `price` (each install its own price): its id. */
  const place = async (on: TestServer, price: string) => {
    const r = await apiCall(on.server.url, 'POST', '/orders', {
      token: on.token,
      headers: { 'idempotency-key': `wsi-${keys++}` },
      body: {
        accountId: SHARED_ACCOUNT,
        instrumentId: 'BTC/X',
        side: 'BUY',
        type: 'LIMIT',
        price,
        quantity: '0.01',
      },
    });
    expect(r.status).toBe(201);
    return r.json.clientOrderId as string;
  };
  /** The desk's order frames a socket got, as `price/clientOrderId` (which install, which order). */
  const orders = (frames: readonly Frame[]) =>
    frames
      .filter((f) => f.type === 'order' && f.accountId === SHARED_ACCOUNT)
      .map((f) => `${Number(f.order!.price)}/${f.order!.clientOrderId}`);
  const reached = (frames: readonly Frame[], price: string, id: string) =>
    until(
      () => orders(frames).includes(`${Number(price)}/${id}`),
      20_000,
      `order ${id} at ${price} on the socket`,
    );
  /** An oversight user's socket (risk: every frame of the desk, whoever's order), on `on`. */
  const watch = async (on: TestServer, after?: Record<string, number>) => {
    const s = await subscribedSocket<Frame>(on.server.url, on.tokens.risk, ['orders'], after);
    sockets.push(s);
    return s;
  };

  it("a client of each install gets its own install's desk frames only, and resumes within them", async () => {
    const onX = await watch(x);
    const onY = await watch(y);
    const x1 = await place(x, '1');
    await reached(onX.frames, '1', x1);
    const y1 = await place(y, '2');
    await reached(onY.frames, '2', y1);
    // A later frame of X's reached X's client: one of Y's (earlier, on a shared stream) would have too.
    const x2 = await place(x, '1');
    await reached(onX.frames, '1', x2);
    expect(orders(onX.frames).every((o) => o.startsWith('1/'))).toBe(true);
    expect(orders(onY.frames).every((o) => o.startsWith('2/'))).toBe(true);
    // Each install's stream under its own group; nothing under the old, install-less name.
    const stream = (schema: string) =>
      `${prefix}events:${installGroup({ home: '', databaseUrl: TEST_DATABASE_URL, databaseSchema: schema })}:ws:${SHARED_ACCOUNT}`;
    expect(await redis.xlen(stream(schemas.x))).toBeGreaterThan(0);
    expect(await redis.xlen(stream(schemas.y))).toBeGreaterThan(0);
    expect(await redis.exists(`${prefix}events:ws:${SHARED_ACCOUNT}`)).toBe(0);

    // X's client reconnects after its last frame; meanwhile both installs trade the desk.
    const last = Math.max(...onX.frames.filter((f) => f.type === 'order').map((f) => f.seq!));
    onX.close();
    const missed = await place(x, '1');
    const other = await place(y, '2');
    await reached(onY.frames, '2', other);
    const again = await watch(x, { [SHARED_ACCOUNT]: last });
    const subscribed = again.frames.find((f) => f.type === 'subscribed')!;
    expect(subscribed.resumed).toEqual({ [SHARED_ACCOUNT]: true });
    await reached(again.frames, '1', missed);
    expect(again.frames.some((f) => f.type === 'snapshot')).toBe(false);
    expect(orders(again.frames).every((o) => o.startsWith('1/'))).toBe(true);
    // Consecutive sequences from the client's last: X's frames only, none missing.
    const seqs = again.frames.filter((f) => f.type === 'order').map((f) => f.seq!);
    expect(seqs).toEqual(seqs.map((_, i) => last + 1 + i));
  }, 90_000);

  it("one install's failed logins do not throttle the other's user of the same name", async () => {
    // Until X refuses tom by rate (its per-address and per-username limits, 30 a minute).
    await until(
      async () => {
        const r = await apiCall(x.server.url, 'POST', '/auth/login', {
          body: { username: x.users.trader.username, password: 'not the password' },
        });
        return r.status === 429;
      },
      60_000,
      "X's login limit reached",
    );
    const r = await apiCall(y.server.url, 'POST', '/auth/login', {
      body: { username: y.users.trader.username, password: y.users.trader.password },
    });
    expect(r.status).toBe(200);
  }, 90_000);

  it('a positions snapshot with no owner answering is an error frame with its code, never []', async () => {
    // Z: a third install, on leases, whose desk is held by an owner that is gone (its lease not
    // expired yet, so no instance of Z runs the desk's core, and none answers its commands).
    await deskHeldByGoneOwner(schemas.z);
    const z = await startTestServer({ postgresSchema: schemas.z, env, handOff: { waitMs: 1_000 } });
    try {
      expect(z.server.ownership.owns(SHARED_ACCOUNT)).toBe(false);
      // A resume past what the log holds falls back to a snapshot of the desk's positions.
      const socket = new WebSocket(`${z.server.url.replace('http', 'ws')}/ws`);
      const frames: Frame[] = [];
      socket.on('message', (m) => frames.push(JSON.parse(String(m)) as Frame));
      sockets.push(socket);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      socket.send(JSON.stringify({ type: 'auth', token: z.tokens.risk }));
      socket.send(
        JSON.stringify({
          type: 'subscribe',
          channel: 'positions',
          after: { [SHARED_ACCOUNT]: 1_000_000_000 },
        }),
      );
      const answer = await until(
        () => frames.find((f) => f.type === 'error' || f.type === 'snapshot'),
        20_000,
        'an answer to the subscription',
      );
      expect([answer.type, answer.code, answer.channel, answer.retrying]).toEqual([
        'error',
        'ACCOUNT_OWNER_UNAVAILABLE',
        'positions',
        true,
      ]);
      // No snapshot; the channel is subscribed without the desk (held until it is placed).
      expect(answer.accountId).toBe(SHARED_ACCOUNT);
      expect(frames.some((f) => f.type === 'snapshot')).toBe(false);
      const subscribed = await until(
        () => frames.find((f) => f.type === 'subscribed'),
        20_000,
        'subscribed',
      );
      expect(subscribed.resumed).toEqual({});
      socket.close();
    } finally {
      await z.server.close();
    }
  }, 90_000);
});
