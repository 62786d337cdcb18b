import type { Redis } from 'ioredis';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import type { RunningServer } from '../../../src/system/trading-server.js';
import { apiCall, type Answer } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { liveServerOptions, startLiveSim } from '../../support/ccxt-sim.js';
import { openLiveAccount, restingBuy } from '../../support/live-account.js';
import { recordSharedBan } from '../../support/shared-ban.js';
import { until } from '../../support/until.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from '../scalability/services.js';

/**
 * How long the bans of these tests last: past a restart, short enough to wait out. A restart
 * takes about as long as the first start, which a loaded machine makes several seconds (a fixed
 * 3 s ban had ended before the restart did): three starts' time, at least 3 s.
 */
let banMs = 3_000;

/**
 * A `kairos serve` started while its venue bans it (a 418/429 ban recorded in Redis by another
 * process on the venue's shared budget, or the venue's own 418 to its first request) starts:
 * it answers what needs no venue, refuses a live account's orders 503 `ACCOUNT_VENUE_DOWN` with a
 * `Retry-After` naming the ban's end (nothing stored or sent), and brings the venue up by itself
 * once the ban ends (markets loaded, the account's core opened and reconciled), then trades.
 * Until 2026-12-07 the markets' load was refused by the ban and the server did not start
 * (`docs/venues.md`, "A ban at start").
 */
describe('kairos serve started while its venue is banned (the simulator, Redis)', () => {
  const prefix = uniquePrefix();
  let redis: Redis;
  let cleanup: () => Promise<void>;
  let sim: BinanceSim;
  let t: TestServer;
  let server: RunningServer;
  let live: string;

  beforeAll(async () => {
    ({ redis, cleanup } = await testRedis(prefix));
    sim = await startLiveSim();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await sim?.close();
    await cleanup?.();
  });

  /** A server on Redis with one live account on the simulator (`live`), to be restarted. */
  async function serveWithLiveAccount(): Promise<void> {
    const from = Date.now();
    t = await startTestServer({
      ...liveServerOptions(sim),
      env: { REDIS_URL: TEST_REDIS_URL, KAIROS_REDIS_PREFIX: prefix },
    });
    server = t.server;
    banMs = Math.max(3_000, 3 * (Date.now() - from));
    const { account: made } = await openLiveAccount(call, sim);
    expect(made.status).toBe(201);
    live = made.json.id as string;
  }

  const call = (method: string, route: string, body?: unknown, key?: string) =>
    apiCall(server.url, method, route, {
      token: t.token,
      ...(body === undefined ? {} : { body }),
      ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }),
    });
  /** The live account's orders stored. */
  const stored = async () =>
    ((await call('GET', `/orders?accountId=${live}`)).json.orders as unknown[]).length;
  const venueOf = async (id: string) =>
    (await call('GET', `/accounts/${id}`)).json.venueStatus?.venue as string | undefined;
  let n = 0;
  /** A buy far below the market on the live account: it rests at the venue. */
  const order = () => call('POST', '/orders', restingBuy(live), `ban-${++n}`);

  /** While the ban runs: health and account reads answered, orders refused with its end. */
  async function checkBanned(endsAt: number): Promise<void> {
    expect((await call('GET', '/health')).status).toBe(200);
    const account = await call('GET', `/accounts/${live}`);
    expect([account.status, account.json.venueStatus?.venue]).toEqual([200, 'DOWN']);
    // The account says when the ban ends, as the refusal's Retry-After does.
    const retryAt = account.json.venueStatus.retryAt as number;
    expect(retryAt).toBeGreaterThan(Date.now() - 1_000);
    expect(retryAt).toBeLessThanOrEqual(endsAt + 1_000);
    const before = await stored();
    const refused = await order();
    const retryAfter = Number(refused.headers['retry-after']);
    expect([refused.status, refused.json.code]).toEqual([503, 'ACCOUNT_VENUE_DOWN']);
    // `Retry-After` names the ban's end (whole seconds, rounded up).
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil((endsAt - Date.now()) / 1000) + 1);
    // Nothing stored.
    expect(await stored()).toBe(before);
  }

  /** Once the ban is over: the account UP by itself, and an order taken and resting at the venue. */
  async function checkTrades(): Promise<void> {
    await until(async () => (await venueOf(live)) === 'UP', 30_000, 'the live account UP');
    const placed: Answer = await order();
    expect(placed.status).toBe(201);
    await until(
      async () =>
        (await call('GET', `/orders/${placed.json.clientOrderId}`)).json.order?.status ===
        'ACCEPTED',
      20_000,
      'the order resting at the venue',
    );
  }

  it('a ban another process recorded in Redis: starts, refuses orders until it ends, then trades', async () => {
    await serveWithLiveAccount();
    const endsAt = Date.now() + banMs;
    await recordSharedBan(redis, prefix, endsAt);
    const sent = sim.state.requests.get('GET /api/v3/exchangeInfo') ?? 0;
    server = await t.restart();
    // Nothing was sent to the venue during the ban: the shared record refused it here.
    expect(sim.state.requests.get('GET /api/v3/exchangeInfo') ?? 0).toBe(sent);
    await checkBanned(endsAt);
    await checkTrades();
    await server.close();
  }, 120_000);

  it('the venue’s own 418 to its first request: the same', async () => {
    await serveWithLiveAccount();
    // The restarted server's first request is answered 418, banned for `banMs`.
    sim.faults.set({ rateLimit: { after: 0, tooMany: 0, banMs } });
    server = await t.restart();
    // The ban began at the restarted server's first request, before the restart returned.
    await checkBanned(Date.now() + banMs);
    await checkTrades();
  }, 120_000);
});
