import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { liveServerOptions, startLiveSim } from '../../support/ccxt-sim.js';
import { until } from '../../support/until.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from '../scalability/services.js';

const A = { apiKey: 'a-key', secret: 'a-secret' };
const B = { apiKey: 'b-key', secret: 'b-secret' };
/**
 * The venue's per-IP weight: 350 per 6 s window (Binance's rule, in a window short enough to see
 * several in seconds); the server budgets 80 % of it (a burst of 40, refilled every second).
 */
const LIMIT = 350;
const WINDOW_S = 2;
/** Each account's confirmation (`GET /api/v3/account`, weight 20) the run waits for. */
const CONFIRMS = 14;

const startSim = () =>
  startLiveSim({
    weightPerMinute: LIMIT,
    weightWindowSeconds: WINDOW_S,
    accounts: [
      { ...A, balances: { BTC: '0', USDT: '1000000' } },
      { ...B, balances: { BTC: '0', USDT: '1000000' } },
    ],
  });

/** Stores `key` and opens a live account on it; answers the account's answer. */
async function openLive(t: TestServer, key: typeof A, name: string) {
  const call = (route: string, body: unknown) =>
    apiCall(t.server.url, 'POST', route, { token: t.token, body });
  const cred = await call('/credentials', { venue: 'binance', label: name, ...key });
  expect(cred.status).toBe(201);
  return call('/accounts', { name, mode: 'live', venue: 'binance', credentialId: cred.json.id });
}

/**
 * Runs both accounts (each confirmed with the venue every 150 ms: far more weight than the venue
 * allows) until each has been confirmed `CONFIRMS` more times, some windows' worth of the
 * venue's weight, or the venue refused a request for its weight.
 */
async function runBoth(sim: BinanceSim) {
  const seen = () => [A, B].map((k) => sim.state.apiKeys.get(k.apiKey) ?? 0);
  const from = seen();
  await until(
    () => sim.state.weightRefusals() > 0 || seen().every((n, i) => n - from[i]! >= CONFIRMS * 3),
    60_000,
    `both accounts confirmed ${CONFIRMS} times, or a refusal`,
  );
  return { refusals: sim.state.weightRefusals(), served: sim.state.requests };
}

/**
 * `kairos serve`'s venue request budget follows the venue's scopes (docs/venues.md, "Request
 * budgets in kairos serve"): Binance limits request weight per IP, so every live account of the
 * venue takes weight from one budget, and with `REDIS_URL` every instance on that Redis too; the
 * simulator, counting weight per IP and answering 429 then 418 past it, never refuses one. (Until
 * 2026-12-07 each account had a budget of its own in its process: two accounts spent up to twice
 * the venue's allowance, and the simulator answered 429 within seconds.)
 */
describe('venue request weight shared by the live accounts of kairos serve', () => {
  it('two accounts of one instance together stay within the venue’s per-IP weight', async () => {
    const sim = await startSim();
    const t = await startTestServer({ quiet: true, ...liveServerOptions(sim) });
    try {
      const [a, b] = await Promise.all([openLive(t, A, 'a'), openLive(t, B, 'b')]);
      expect([a.status, b.status]).toEqual([201, 201]);
      const { refusals, served } = await runBoth(sim);
      expect({
        refusals,
        confirms: (served.get('GET /api/v3/account') ?? 0) >= 2 * CONFIRMS,
      }).toEqual({ refusals: 0, confirms: true });
    } finally {
      await t.server.close();
      await sim.close();
    }
  }, 120_000);

  it('two instances on one Redis (one account each) together stay within it too', async () => {
    const prefix = uniquePrefix();
    const { cleanup } = await testRedis(prefix);
    const sim = await startSim();
    const env = { REDIS_URL: TEST_REDIS_URL, KAIROS_REDIS_PREFIX: prefix };
    const servers: TestServer[] = [];
    try {
      for (let i = 0; i < 2; i++)
        servers.push(await startTestServer({ quiet: true, ...liveServerOptions(sim), env }));
      const [a, b] = await Promise.all([
        openLive(servers[0]!, A, 'a'),
        openLive(servers[1]!, B, 'b'),
      ]);
      expect([a.status, b.status]).toEqual([201, 201]);
      const { refusals } = await runBoth(sim);
      expect(refusals).toBe(0);
    } finally {
      for (const s of servers) await s.server.close();
      await sim.close();
      await cleanup();
    }
  }, 120_000);
});
