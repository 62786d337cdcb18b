import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { ServerVenues } from '../../../src/system/server-venues.js';
import { startSim } from '../../support/ccxt-sim.js';
import { until } from '../../support/until.js';

/** How long the venue's 418 at start bans us: short, waited for (its end, not a sleep). */
const BAN_MS = 2_000;
const EXCHANGE_INFO = '/api/v3/exchangeInfo';

/**
 * A proxy in front of the simulator that holds the markets' answers (`exchangeInfo`) while
 * `hold` is on: `held` are the requests waiting, `release` lets them through.
 */
async function holdingProxy(target: string) {
  const held: (() => void)[] = [];
  let hold = false;
  const server = http.createServer((req, res) => {
    const forward = () => {
      const up = http.request(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(up);
    };
    if (hold && (req.url ?? '').startsWith(EXCHANGE_INFO)) held.push(forward);
    else forward();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    set hold(on: boolean) {
      hold = on;
    },
    release: () => held.splice(0).forEach((f) => f()),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * A venue not ready at start (the simulator's 418) is brought up by one start-up at a time: a
 * markets refresh asked (`refreshMarkets`) while the ban-end retry is loading the markets waits
 * for that one's outcome instead of running the start-up steps a second time on the same load
 * (ccxt shares a reload under way): `onMarkets` told twice, the hourly refresh's listener
 * registered twice (every later refresh told twice). Until 2026-12-07 both ran (`docs/venues.md`, "A ban at start").
 */
describe('ServerVenues: a venue banned at start comes up once', () => {
  let sim: BinanceSim;
  let proxy: Awaited<ReturnType<typeof holdingProxy>>;
  let venues: ServerVenues | undefined;

  beforeAll(async () => {
    sim = await startSim();
    proxy = await holdingProxy(sim.url);
  });
  afterAll(async () => {
    proxy?.release();
    await venues?.close();
    await proxy?.close();
    await sim?.close();
  });

  it('a refresh asked during the ban-end retry waits for it: markets loaded once, told once', async () => {
    sim.faults.set({ rateLimit: { after: 0, tooMany: 0, banMs: BAN_MS } });
    const lines: string[] = [];
    venues = await ServerVenues.open([{ id: 'binance', url: proxy.url }], {
      alert: () => undefined,
      log: (l) => void lines.push(l),
    });
    expect(venues.ready('binance')).toBe(false);
    const told: string[] = [];
    venues.onMarkets((v) => void told.push(v));
    const loads = () => sim.state.requests.get(`GET ${EXCHANGE_INFO}`) ?? 0;
    // The ban-end retry's markets load, held at the proxy.
    proxy.hold = true;
    await until(() => proxy.held.length === 1, 10_000, 'the retry at the ban’s end');
    const asked = venues.refreshMarkets('binance');
    const before = loads();
    proxy.hold = false;
    proxy.release();
    await asked;
    expect(venues.ready('binance')).toBe(true);
    expect(loads() - before).toBe(1);
    // The start-up ran once: told once, logged once.
    expect(told).toEqual(['binance']);
    expect(lines.filter((l) => l.includes('ready, its markets are loaded'))).toHaveLength(1);
    // A later refresh is told once (its listener registered once).
    await venues.refreshMarkets('binance');
    expect(told).toEqual(['binance', 'binance']);
  }, 30_000);
});
