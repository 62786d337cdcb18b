import type { IncomingMessage, ServerResponse } from 'node:http';
import { toDecimal } from '../../trading/core/decimal.js';
import { KairosError } from '../../trading/core/errors.js';
import { noopLogger } from '../../trading/core/logger.js';
import { Account } from '../binance/account.js';
import { BinanceError } from '../binance/binance-error.js';
import { listen, logRefusal, readBody, sendJson, serverOf } from '../binance/http-io.js';
import { checkReplay, replayData } from '../binance/load-bars.js';
import { ReplayMarket } from '../binance/market.js';
import { periodStart } from '../binance/market-views.js';
import { IdSequence, SpotMatcher } from '../binance/matching.js';
import type { ReplayVenueOptions } from '../binance/replay-venue-options.js';
import type { SimOrder, SimTrade } from '../binance/sim-order.js';
import { symbolSpec, type SymbolSpecInput } from '../binance/symbol-spec.js';
import type { OkxAccount, OkxContext, OkxRoute } from './okx-context.js';
import { okxErrorOf, OkxError, OkxErrors } from './okx-error.js';
import { OkxParams } from './okx-params.js';
import { PUBLIC_ROUTES } from './public-routes.js';
import { expiredRequest, expTimeOf, InFlightOrders } from './in-flight-orders.js';
import { chargesOf, OkxRateLimits } from './rate-limits.js';
import { verifyOkxRequest, type OkxCredentials } from './signature.js';
import { TRADE_ROUTES } from './trade-routes.js';

/** The example credentials the venue accepts unless told otherwise (they guard nothing). */
export const OKX_EXAMPLE_KEY: OkxCredentials = {
  apiKey: 'kairos-okx-sim-key',
  secret: 'kairos-okx-sim-secret',
  passphrase: 'kairos-okx-sim-passphrase',
};

/**
 * How to start the simulated OKX venue (fees in the asset received, as OKX charges on spot; its
 * clock answers `public/time` and bounds the 30 s signature window; the logger's component is
 * `okx-sim`).
 */
export interface OkxSimOptions extends ReplayVenueOptions {
  /** Unified symbol (default `BTC/USDT`; OKX's `BTC-USDT`). */
  readonly symbol?: string;
  /** tickSz, lotSz (`stepSize`), minSz (`minQty`), ...; the tick defaults to the file's finest step. */
  readonly filters?: Omit<SymbolSpecInput, 'symbol'>;
  /** Accounts, one per API key (default: one with `OKX_EXAMPLE_KEY`); the first is `sim.key`. */
  readonly accounts?: readonly (OkxCredentials & { balances?: Readonly<Record<string, string>> })[];
  /**
   * Replays by itself: venue time runs `speed` times the clock, the bars moved so the first
   * unrevealed one opens now. Omitted: time moves only by `advance`.
   */
  readonly realtime?: { readonly speed: number; readonly stepMs?: number };
  /** Multiplies OKX's per-endpoint limits (default 1; 0 turns them off). */
  readonly rateLimitScale?: number;
}

/** What the running venue holds, read-only. */
export interface OkxSimState {
  /** The default (first) account's orders, open orders, fills and balances. */
  orders(): readonly SimOrder[];
  openOrders(): readonly SimOrder[];
  trades(): readonly SimTrade[];
  balances(): { asset: string; free: string; locked: string }[];
  /** Requests served, by `METHOD path`. */
  readonly requests: ReadonlyMap<string, number>;
  /** Requests refused with 429 (50011). */
  rateLimited(): number;
  /** Unexpected exceptions (each answered 500, 50000); empty in a healthy run. */
  readonly errors: readonly unknown[];
  /** The `expTime` header of each place request that carried one, in arrival order. */
  readonly expTimes: readonly number[];
}

/** A running simulated OKX venue. */
export interface OkxSim {
  /** REST base, e.g. `http://127.0.0.1:9445` (endpoints under `/api/v5`). */
  readonly url: string;
  readonly port: number;
  /** The default (first) account's credentials. */
  readonly key: OkxCredentials;
  readonly symbol: string;
  readonly market: ReplayMarket;
  readonly state: OkxSimState;
  /** Reveals `n` more bars (manual time). */
  advance(n?: number): void;
  /** The next `n` requests are refused with HTTP 429, code 50011 (a fault switch). */
  refuseNext(n: number): void;
  /**
   * Place requests received from now on stay in flight inside the venue: unprocessed and
   * unanswered (a client's create times out) until `releaseOrders()` (a fault switch).
   */
  holdOrders(): void;
  /** Processes the held place requests now, in order (each `expTime` checked now); resolves when done. */
  releaseOrders(): Promise<void>;
  /** How many place requests are held. */
  ordersInFlight(): number;
  close(): Promise<void>;
}

const ROUTES: readonly OkxRoute[] = [...PUBLIC_ROUTES, ...TRADE_ROUTES];

/** The JSON object(s) a request carries: its query (GET), or its JSON body (POST). */
function paramsOf(route: OkxRoute, url: URL, body: string): OkxParams[] {
  if (route.method === 'GET') return [new OkxParams(Object.fromEntries(url.searchParams))];
  let parsed: unknown;
  try {
    parsed = body === '' ? {} : JSON.parse(body);
  } catch {
    throw OkxErrors.param('body');
  }
  const items = route.batch && Array.isArray(parsed) ? parsed : [parsed];
  if (items.some((i) => i === null || typeof i !== 'object' || Array.isArray(i)))
    throw OkxErrors.param('body');
  return items.map((i) => new OkxParams(i as Record<string, unknown>));
}

/**
 * Starts a local server that speaks the part of OKX's API v5 (spot, cash trade mode) Kairos uses
 * through ccxt's `okx` class: public time, instruments, candles, trades; balance, place (limit,
 * market, post-only, IOC, FOK), cancel, get order, pending orders, fills and fills history. Every
 * private request's OK-ACCESS-* signature is checked; each endpoint has OKX's 2-second request
 * limit. Orders fill against the replayed bars by the same matcher as the Binance simulator's
 * (the domain's matching engine). See README.md.
 *
 * @example
 * const sim = await startOkx({ data: bars, preloadBars: 100 });
 * // ccxt: new ccxt.okx({ apiKey: sim.key.apiKey, secret: sim.key.secret, password: sim.key.passphrase })
 * sim.advance(5);
 * await sim.close();
 */
export async function startOkx(options: OkxSimOptions): Promise<OkxSim> {
  const clock = options.clock ?? { now: () => Date.now() };
  const symbol = options.symbol ?? 'BTC/USDT';
  const { bars, tick } = await replayData(options.data, symbol);
  const spec = symbolSpec({ symbol, tickSize: tick, ...options.filters });
  const preload = options.preloadBars ?? 0;
  const rt = options.realtime;
  checkReplay(bars.length, preload, rt);
  const wall0 = clock.now();
  const interval = bars[0]!.closeTime - bars[0]!.openTime;
  const shift = rt ? periodStart(wall0, interval) - bars[preload]!.openTime : 0;
  const market = new ReplayMarket(bars, shift);
  const fees = {
    maker: toDecimal(options.makerFee ?? '0.001'),
    taker: toDecimal(options.takerFee ?? '0.001'),
  };
  const ids = new IdSequence();
  const startBalances = options.balances ?? { [spec.base]: '10', [spec.quote]: '100000' };
  const accounts = new Map<string, OkxAccount>();
  const configured: readonly (OkxCredentials & { balances?: Readonly<Record<string, string>> })[] =
    options.accounts ?? [OKX_EXAMPLE_KEY];
  for (const c of configured) {
    if (accounts.has(c.apiKey))
      throw new KairosError('CONFIG_INVALID', `accounts: the API key ${c.apiKey} is given twice`);
    const account = new Account(c.balances ?? startBalances);
    const matcher = new SpotMatcher({
      spec,
      account,
      makerFee: fees.maker,
      takerFee: fees.taker,
      maxVolumeFraction: options.maxVolumeFraction,
      tradesPerFill: options.tradesPerFill,
      tradesApartMs: options.tradesApartMs,
      emit: () => undefined, // no WebSocket: nothing streams the reports
      marketNow: () => market.now(),
      serverNow: () => clock.now(),
      lastPrice: () => market.lastPrice(),
      buyFeeIn: 'base',
      ids,
    });
    accounts.set(c.apiKey, {
      apiKey: c.apiKey,
      secret: c.secret,
      passphrase: c.passphrase,
      account,
      matcher,
    });
  }
  const first = [...accounts.values()][0]!;
  market.onEvent((e) => {
    if (e.kind === 'trade')
      for (const a of accounts.values())
        a.matcher.onMarketTrade(e.tick.price, e.tick.qty, e.tick.ts);
  });
  if (preload > 0) market.advance(preload);
  const from = market.now();
  const catchUp = () => {
    if (rt) market.advanceTo(from + (clock.now() - wall0) * rt.speed);
  };
  const limits = new OkxRateLimits(options.rateLimitScale ?? 1);
  const requests = new Map<string, number>();
  const errors: unknown[] = [];
  const expTimes: number[] = [];
  const inFlight = new InFlightOrders();
  const log = (options.logger ?? noopLogger).child({ component: 'okx-sim' });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const body = await readBody(req);
    const now = clock.now();
    catchUp();
    const refuse = (e: unknown) => {
      let err: OkxError;
      if (e instanceof OkxError) err = e;
      else if (e instanceof BinanceError) err = okxErrorOf(e);
      else {
        errors.push(e);
        err = OkxErrors.internal();
      }
      sendJson(res, err.status, err.body());
      logRefusal(log, { method, path }, err);
    };
    try {
      const route = ROUTES.find((r) => r.method === method && r.path === path);
      if (!route) throw OkxErrors.notFound();
      const keyHeader = req.headers['ok-access-key'];
      const who = route.private
        ? String((Array.isArray(keyHeader) ? keyHeader[0] : keyHeader) ?? '')
        : (req.socket.remoteAddress ?? '');
      const params = paramsOf(route, url, body);
      if (!limits.allow(now, chargesOf(route, params, who))) throw OkxErrors.tooMany();
      requests.set(`${method} ${path}`, (requests.get(`${method} ${path}`) ?? 0) + 1);
      const caller = route.private
        ? accounts.get(
            verifyOkxRequest(
              { method, requestPath: req.url ?? path, body, headers: req.headers },
              (k) => accounts.get(k),
              now,
            ).apiKey,
          )!
        : null;
      const ctx: OkxContext = { spec, market, fees, caller, serverNow: () => clock.now() };
      const expTime = route.expiring ? expTimeOf(req.headers) : undefined;
      if (expTime !== undefined) expTimes.push(expTime);
      // Processed now, or when a held place request is let through: its expTime is checked then.
      const run = () => {
        try {
          if (expTime !== undefined && clock.now() > expTime) throw expiredRequest();
          const answer = route.handle(params, ctx);
          sendJson(res, 200, {
            code: answer.code ?? '0',
            msg: answer.msg ?? '',
            data: answer.data,
          });
          log.debug('request', { method, path, status: 200 });
        } catch (e) {
          refuse(e);
        }
      };
      if (route.expiring) await inFlight.pass(run);
      else run();
    } catch (e) {
      refuse(e);
    }
  }

  const server = serverOf(handle, errors, OkxErrors.internal().body());
  // Upgrades (ccxt.pro's WebSocket) are refused: this venue has no WebSocket API.
  server.on('upgrade', (_req, socket) => socket.destroy());
  const timer = rt ? setInterval(catchUp, rt.stepMs ?? 100) : null;
  timer?.unref();
  const { url, port } = await listen(server, options.port, options.host);
  return {
    url,
    port,
    key: { apiKey: first.apiKey, secret: first.secret, passphrase: first.passphrase },
    symbol,
    market,
    state: {
      orders: () => first.matcher.orders(),
      openOrders: () => first.matcher.openOrders(),
      trades: () => first.matcher.trades(),
      balances: () => first.account.balances(),
      requests,
      rateLimited: () => limits.refused,
      errors,
      expTimes,
    },
    advance: (n = 1) => market.advance(n),
    refuseNext: (n) => limits.forceNext(n),
    holdOrders: () => inFlight.hold(),
    releaseOrders: () => inFlight.release(),
    ordersInFlight: () => inFlight.waiting,
    close: () =>
      new Promise<void>((resolve) => {
        inFlight.drop();
        if (timer) clearInterval(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
