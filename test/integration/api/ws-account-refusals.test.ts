import { randomBytes } from 'node:crypto';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { SHARED_ACCOUNT } from '../../../src/system/trading-accounts.js';
import { apiCall, openAccount } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { liveServerOptions, startLiveSim } from '../../support/ccxt-sim.js';
import { dropTestSchema } from '../../support/postgres.js';
import { parsePrometheus, sampleValue } from '../../support/prometheus-text.js';
import { deskHeldByGoneOwner } from '../../support/gone-owner.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from '../scalability/services.js';

interface Frame {
  readonly type: string;
  readonly code?: string;
  readonly retrying?: boolean;
  readonly channel?: string;
  readonly accountId?: string;
  readonly resumed?: Readonly<Record<string, boolean>>;
  readonly from?: Readonly<Record<string, number>>;
  readonly positions?: readonly unknown[];
}

/** An `after` past anything the log holds: the resume falls back to a snapshot. */
const PAST = 1_000_000_000;

/**
 * A WebSocket resume that falls back to a snapshot of positions, refused for one account
 * (`docs/api.md`, "WebSocket"): a refusal that stands (the venue refused the account's key,
 * `ACCOUNT_CREDENTIAL_REFUSED`) is told once and not retried; the user's other accounts get
 * their snapshots meanwhile; a refusal that passes (no owner answers) is retried for that
 * account, given up within the policy's total time (each attempt's hand-off wait counted).
 * Real Redis, Postgres, and ccxt's binance against the simulator.
 */
describe('WebSocket snapshots refused for one account', () => {
  const tag = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const schemas = { live: `kairos_wsr_l_${tag}`, gone: `kairos_wsr_g_${tag}` };
  const prefix = uniquePrefix();
  const env = { REDIS_URL: TEST_REDIS_URL, KAIROS_REDIS_PREFIX: prefix };
  let sim: BinanceSim;
  let t: TestServer;
  /** `t`'s server running now (restarted once). */
  let server: RunningServer;
  let cleanup: () => Promise<void>;
  const ids = { live: '', paper: '' };
  const sockets: { close(): void }[] = [];

  beforeAll(async () => {
    ({ cleanup } = await testRedis(prefix));
    sim = await startLiveSim();
    t = await startTestServer({ ...liveServerOptions(sim), postgresSchema: schemas.live, env });
    server = t.server;
    const key = await apiCall(t.server.url, 'POST', '/credentials', {
      token: t.token,
      body: { venue: 'binance', label: 'sim', apiKey: sim.apiKey, secret: sim.secret },
    });
    expect(key.status).toBe(201);
    const live = await apiCall(t.server.url, 'POST', '/accounts', {
      token: t.token,
      body: { name: 'real', mode: 'live', venue: 'binance', credentialId: key.json.id },
    });
    expect(live.status).toBe(201);
    ids.live = live.json.id as string;
    ids.paper = await openAccount(t.server.url, t.token, 'practice', '1000');
    // The venue revokes the key; restarted, the server cannot open the live account's core:
    // DISABLED, its positions refused with ACCOUNT_CREDENTIAL_REFUSED until a new key.
    sim.faults.set({ keyRevoked: true });
    server = await t.restart();
    await until(
      async () =>
        (await apiCall(server.url, 'GET', `/accounts/${ids.live}`, { token: t.token })).json
          .venueStatus?.venue === 'DISABLED',
      30_000,
      'the live account DISABLED',
    );
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await server?.close().catch(() => undefined);
    await sim?.close();
    for (const s of Object.values(schemas)) await dropTestSchema(s);
    await cleanup?.();
  });

  const retriesWaiting = async (on: RunningServer) =>
    sampleValue(parsePrometheus(await on.metrics!.text()), 'kairos_ws_subscribe_retries', {});

  it('a key the venue refused: one error frame naming the account, not retried; the other account gets its snapshot', async () => {
    const ws = await subscribedSocket<Frame>(server.url, t.token, ['positions'], {
      [ids.live]: PAST,
      [ids.paper]: PAST,
    });
    sockets.push(ws);
    const refused = await until(
      () => ws.frames.find((f) => f.type === 'error' && f.accountId === ids.live),
      10_000,
      'the refused account told',
    );
    expect([refused.code, refused.channel, refused.retrying]).toEqual([
      'ACCOUNT_CREDENTIAL_REFUSED',
      'positions',
      false,
    ]);
    // The other account flows: its snapshot, and its place in `subscribed`; the refused one not.
    const snapshot = ws.frames.find((f) => f.type === 'snapshot' && f.accountId === ids.paper);
    expect(snapshot?.positions).toEqual([]);
    expect(ws.frames.some((f) => f.type === 'snapshot' && f.accountId === ids.live)).toBe(false);
    const subscribed = ws.frames.find((f) => f.type === 'subscribed')!;
    expect(subscribed.resumed).toEqual({ [ids.paper]: false });
    // The desk (shared, not resumed) live from now, the paper account after its snapshot.
    expect(Object.keys(subscribed.from ?? {}).sort()).toEqual([SHARED_ACCOUNT, ids.paper].sort());
    // Nothing waits to retry it (before, it was retried until a close with 1013).
    expect(await retriesWaiting(server)).toBe(0);
    // A later subscription on the socket answers (the socket is open, nothing queued before it).
    ws.send({ type: 'subscribe', channel: 'balances' });
    await until(
      () => ws.frames.some((f) => f.type === 'subscribed' && f.channel === 'balances'),
      10_000,
      'balances subscribed',
    );
    expect(ws.open()).toBe(true);
    expect(ws.frames.filter((f) => f.type === 'error')).toHaveLength(1);
  }, 60_000);

  it('no owner answering: retried, and given up within the total time, each hand-off wait counted', async () => {
    // The desk held by an owner that is gone (its lease not expired): no instance runs its core
    // or answers its commands; each attempt waits the hand-off's 1 s for nothing.
    await deskHeldByGoneOwner(schemas.gone);
    const totalMs = 3_000;
    const z = await startTestServer({
      postgresSchema: schemas.gone,
      env,
      handOff: { waitMs: 1_000 },
      // Without the total, 100 attempts of ~1.1 s each: about 2 minutes before giving up.
      wsSubscribeRetry: { initialMs: 50, maxMs: 100, attempts: 100, totalMs },
    });
    try {
      const sent = performance.now();
      const ws = await subscribedSocket<Frame>(z.server.url, z.tokens.risk, ['positions'], {
        [SHARED_ACCOUNT]: PAST,
      });
      sockets.push(ws);
      const told = ws.frames.filter((f) => f.type === 'error');
      expect(told.map((f) => [f.code, f.accountId, f.retrying])).toEqual([
        ['ACCOUNT_OWNER_UNAVAILABLE', SHARED_ACCOUNT, true],
      ]);
      const gaveUp = await until(
        () => ws.frames.find((f) => f.type === 'error' && f.retrying === false),
        20_000,
        'the retries given up',
      );
      const took = performance.now() - sent;
      expect([gaveUp.code, gaveUp.accountId]).toEqual([
        'ACCOUNT_OWNER_UNAVAILABLE',
        SHARED_ACCOUNT,
      ]);
      // The first attempt's wait, then at most the total (with a margin for a loaded machine).
      expect(took).toBeLessThan(1_000 + totalMs + 1_500);
      // Given up for that account alone: the socket stays open, nothing waits.
      expect(ws.open()).toBe(true);
      expect(await retriesWaiting(z.server)).toBe(0);
    } finally {
      await z.server.close();
    }
  }, 90_000);
});
