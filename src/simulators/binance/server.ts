import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { toDecimal } from '../../trading/core/decimal.js';
import { KairosError } from '../../trading/core/errors.js';
import { noopLogger, type Logger } from '../../trading/core/logger.js';
import { BINANCE_MESSAGES, BinanceError, BinanceErrors } from './binance-error.js';
import { adminRoute } from './admin-routes.js';
import { Faults } from './faults.js';
import { listen, logRefusal, readBody, sendJson, serverOf } from './http-io.js';
import { checkReplay, replayData } from './load-bars.js';
import { periodStart } from './market-views.js';
import { ReplayMarket } from './market.js';
import { IdSequence } from './matching.js';
import { findRoute } from './rest-routes.js';
import type { ReplayVenueOptions } from './replay-venue-options.js';
import { RestParams } from './rest-params.js';
import { RequestWeight } from './request-weight.js';
import { checkApiKey, verifySignedRequest, type Credentials } from './signature.js';
import type { SimOrder, SimTrade } from './sim-order.js';
import { stateJson, StateFile, type SavedVenue } from './state-file.js';
import { publishMarketEvent, streamExists } from './stream-publisher.js';
import { symbolSpec, type SymbolSpecInput } from './symbol-spec.js';
import { VenueAccounts, type SimAccountOptions, type VenueAccount } from './venue-accounts.js';
import type { VenueContext } from './venue-context.js';
import { StreamHub } from './ws-streams.js';
import { WsApi } from './ws-api.js';

/** The example key pair the venue accepts unless told otherwise (it guards nothing). */
export const EXAMPLE_API_KEY = 'kairos-sim-api-key';
/** The example secret matching `EXAMPLE_API_KEY`. */
export const EXAMPLE_SECRET = 'kairos-sim-secret';

/**
 * How to start the simulated Binance venue (its clock answers serverTime and bounds the
 * timestamp window; the logger's component is `binance-sim`).
 */
export interface BinanceSimOptions extends ReplayVenueOptions {
  /** Only the bars in [from, to) of a file. */
  readonly from?: number;
  readonly to?: number;
  /** Unified symbol (default `BTC/USDT`). */
  readonly symbol?: string;
  /**
   * More symbols `exchangeInfo` lists (with their filters) that the venue does not trade: a venue
   * listing many markets (an order on one is refused -1121, as for an unknown symbol).
   */
  readonly listed?: readonly SymbolSpecInput[];
  /** The one account's key pair (default: the example pair); not with `accounts`. */
  readonly apiKey?: string;
  readonly secret?: string;
  /**
   * Several accounts, one per API key, each with its own secret, balances, orders, fills and
   * user data stream (default: one account with `apiKey`/`secret`). The first is `sim.apiKey`.
   */
  readonly accounts?: readonly SimAccountOptions[];
  /**
   * A state file: every account's balances, orders and fills, the id sequences and the replay's
   * position are written there (atomically, before any answer that shows a change) and taken
   * back at start, so a venue killed and started again answers as before. Created when missing.
   */
  readonly stateFile?: string;
  /**
   * The asset a buy's commission is charged in: `base` (default: the asset received, as Binance
   * does unless BNB pays it) or `quote`.
   */
  readonly buyFeeIn?: 'base' | 'quote';
  /**
   * Replays by itself: venue time runs `speed` times the clock; with `rebase` (default true) the
   * bars are moved so the first unrevealed one opens now. Omitted: time moves only by `advance`.
   */
  readonly realtime?: {
    readonly speed: number;
    readonly rebase?: boolean;
    readonly stepMs?: number;
  };
  /** Request weight per minute (default 6000), refusals before a ban (5) and its length (2 min). */
  readonly weightPerMinute?: number;
  /**
   * The window `weightPerMinute` counts in and `exchangeInfo` advertises, in whole seconds (default
   * 60: Binance's minute); a shorter one lets a test see a client's per-window budget in seconds.
   */
  readonly weightWindowSeconds?: number;
  /** The `ORDERS` limit per 10 s `exchangeInfo` advertises (default 100, as Binance's); not enforced. */
  readonly ordersPer10s?: number;
  readonly refusalsBeforeBan?: number;
  readonly banMs?: number;
  /** Seed of the faults' random choices. */
  readonly seed?: number;
  /**
   * One line per HTTP request (method, path without the query, status): answered ones at
   * `debug`, refusals and dropped connections at `info` (component `binance-sim`).
   */
  readonly logger?: Logger;
}

/** What one account at the venue holds, read-only. */
export interface BinanceSimAccountState {
  readonly apiKey: string;
  orders(): readonly SimOrder[];
  openOrders(): readonly SimOrder[];
  trades(): readonly SimTrade[];
  balances(): { asset: string; free: string; locked: string }[];
}

/** What the running venue holds, read-only (for tests and the admin routes). */
export interface BinanceSimState {
  /** The default (first) account's orders, open orders, fills and balances. */
  orders(): readonly SimOrder[];
  openOrders(): readonly SimOrder[];
  trades(): readonly SimTrade[];
  balances(): { asset: string; free: string; locked: string }[];
  /** One account by API key (undefined when it is not one of ours). */
  account(apiKey: string): BinanceSimAccountState | undefined;
  /** Every account, in configuration order. */
  accounts(): BinanceSimAccountState[];
  /** REST requests served, by `METHOD path`. */
  readonly requests: ReadonlyMap<string, number>;
  /** Every X-MBX-APIKEY header value received, accepted or not, with its count. */
  readonly apiKeys: ReadonlyMap<string, number>;
  /** REST requests refused for the IP's request weight (429 over the limit, 418 while banned). */
  weightRefusals(): number;
  /** Open WebSocket connections. */
  wsConnections(): number;
  /** Open market-stream connections (`/ws`, `/stream`; not listen keys or the WebSocket API). */
  streamConnections(): number;
  /** Public stream names someone is subscribed to. */
  subscriptions(): string[];
  /** Live user-data listeners (listen-key connections and WebSocket API subscriptions). */
  userDataListeners(): number;
  /** Unexpected exceptions (each answered with 500 -1000); empty in a healthy run. */
  readonly errors: readonly unknown[];
}

/** A running simulated venue. */
export interface BinanceSim {
  /** REST base, e.g. `http://127.0.0.1:9444` (endpoints under `/api/v3`). */
  readonly url: string;
  /** WebSocket base, e.g. `ws://127.0.0.1:9444` (`/ws`, `/stream`, `/ws-api/v3`). */
  readonly wsUrl: string;
  readonly port: number;
  /** The default (first) account's key pair. */
  readonly apiKey: string;
  readonly secret: string;
  /** Every account's key pair, in configuration order. */
  readonly keys: readonly Credentials[];
  /** True when the state came from `stateFile` (a restart), false on a fresh start. */
  readonly restored: boolean;
  readonly symbol: string;
  readonly market: ReplayMarket;
  readonly faults: Faults;
  readonly state: BinanceSimState;
  /** Reveals `n` more bars (manual time). */
  advance(n?: number): void;
  /**
   * Changes the traded symbol's filters from now on (the venue changed its tick or lot: Binance
   * does, now and then); `exchangeInfo` lists the new ones, new orders are checked against them,
   * resting orders stay as they are. Also `POST /__filters`.
   */
  setFilters(filters: Omit<SymbolSpecInput, 'symbol'>): void;
  /** Closes every WebSocket connection abruptly; returns how many. */
  dropWebSockets(): number;
  close(): Promise<void>;
}

/**
 * Starts a local server that speaks a subset of the Binance spot REST and WebSocket API over a
 * replayed candle file, so ccxt's own `binance` and `pro.binance` classes trade against it with
 * only their URLs changed. Faults can be switched on at runtime. See docs/venue-simulator.md.
 *
 * @example
 * const sim = await start({ port: 0, data: 'UNITTEST_BTC-1m.json', preloadBars: 100 });
 * // ccxt: exchange.urls.api = rewrite(exchange.urls.api, sim.url, sim.wsUrl)
 * sim.advance(5);
 * await sim.close();
 */
export async function start(options: BinanceSimOptions): Promise<BinanceSim> {
  const clock = options.clock ?? { now: () => Date.now() };
  const symbol = options.symbol ?? 'BTC/USDT';
  const { bars, tick } = await replayData(options.data, symbol, {
    from: options.from,
    to: options.to,
  });
  const spec = symbolSpec({ symbol, tickSize: tick, ...options.filters });
  const listed = (options.listed ?? []).map((s) => symbolSpec(s));
  // The one spec object every part reads: a filter change is seen by all of them at once.
  let filters: Omit<SymbolSpecInput, 'symbol'> = { tickSize: tick, ...options.filters };
  const setFilters = (change: Omit<SymbolSpecInput, 'symbol'>) => {
    const next = symbolSpec({ symbol, ...filters, ...change });
    filters = { ...filters, ...change };
    Object.assign(spec as { -readonly [K in keyof typeof spec]: (typeof spec)[K] }, next);
  };
  const preload = options.preloadBars ?? 0;
  const rt = options.realtime;
  checkReplay(bars.length, preload, rt);
  const configured = accountList(options);
  const stateFile = options.stateFile !== undefined ? new StateFile(options.stateFile) : null;
  const saved = stateFile?.read() ?? null;
  const fingerprint = {
    symbol: spec.symbol,
    bars: bars.length,
    firstOpenTime: bars[0]!.openTime,
    lastOpenTime: bars[bars.length - 1]!.openTime,
  };
  if (saved) checkSaved(saved, fingerprint, configured, options.stateFile!);
  const wall0 = clock.now();
  const interval = bars[0]!.closeTime - bars[0]!.openTime;
  const shift =
    saved?.clock.shiftMs ??
    (rt && rt.rebase !== false ? periodStart(wall0, interval) - bars[preload]!.openTime : 0);
  const market = new ReplayMarket(bars, shift);
  const faults = new Faults(options.seed ?? 1);
  const fees = {
    maker: toDecimal(options.makerFee ?? '0.001'),
    taker: toDecimal(options.takerFee ?? '0.001'),
  };
  const ids = new IdSequence(saved?.ids.lastOrderId, saved?.ids.lastTradeId);
  // Set once the replay's anchor is known; every change is written before it is shown.
  let save: () => void = () => {};
  const accounts = new VenueAccounts(
    {
      spec,
      makerFee: fees.maker,
      takerFee: fees.taker,
      maxVolumeFraction: options.maxVolumeFraction,
      tradesPerFill: options.tradesPerFill,
      tradesApartMs: options.tradesApartMs,
      marketNow: () => market.now(),
      serverNow: () => clock.now(),
      lastPrice: () => market.lastPrice(),
      buyFeeIn: options.buyFeeIn ?? 'base',
      tradeTimeAheadMs: () => faults.settings().tradeClockAheadMs,
      ids,
    },
    faults,
    () => clock.now(),
    () => save(),
  );
  const startBalances = options.balances ?? { [spec.base]: '10', [spec.quote]: '100000' };
  for (const a of configured)
    accounts.add(a, a.balances ?? startBalances, saved?.accounts.get(a.apiKey));
  const first = accounts.all()[0]!;
  const weightPerMinute = options.weightPerMinute ?? 6000;
  const weightWindowMs = (options.weightWindowSeconds ?? 60) * 1000;
  if (!Number.isSafeInteger(weightWindowMs) || weightWindowMs <= 0)
    throw new Error(
      `weightWindowSeconds: a positive whole number, not ${options.weightWindowSeconds}`,
    );
  const weightLimits = {
    perMinute: weightPerMinute,
    windowMs: weightWindowMs,
    refusalsBeforeBan: options.refusalsBeforeBan ?? 5,
    banMs: options.banMs ?? 120_000,
  };
  // Binance counts request weight per IP address, whichever key (or none) a request carries.
  const weightsByIp = new Map<string, RequestWeight>();
  const weightsOf = (ip: string) => {
    let w = weightsByIp.get(ip);
    if (!w) weightsByIp.set(ip, (w = new RequestWeight(weightLimits)));
    return w;
  };
  const contextOf = (a: VenueAccount): VenueContext => ({
    spec,
    listed,
    market,
    matcher: a.matcher,
    account: a.account,
    userData: a.userData,
    faults,
    fees,
    weightPerMinute,
    weightWindowMs,
    ordersPer10s: options.ordersPer10s ?? 100,
    serverNow: () => clock.now(),
  });
  const hub = new StreamHub((s) => streamExists(s, spec.symbol, market.intervalMs));
  const wsApi = new WsApi({
    keys: (k) => accounts.byKey(k),
    userDataOf: (c) => accounts.byKey(c.apiKey)!.userData,
    serverNow: () => clock.now(),
  });
  if (saved) market.seek(saved.position);
  market.onEvent((e) => {
    if (e.kind === 'trade') accounts.onMarketTrade(e.tick.price, e.tick.qty, e.tick.ts);
    publishMarketEvent(hub, market, spec.symbol, e);
  });
  if (!saved && preload > 0) market.advance(preload);
  const anchor =
    saved?.clock.realtime ?? (rt ? { wall0, from: market.now(), speed: rt.speed } : null);
  if (stateFile) {
    const file = stateFile;
    save = () =>
      file.write(
        stateJson({
          market: fingerprint,
          clock: { shiftMs: shift, realtime: anchor },
          position: market.position(),
          ids: { lastOrderId: ids.lastOrderId, lastTradeId: ids.lastTradeId },
          accounts: accounts.all(),
        }),
      );
    save();
  }

  const requests = new Map<string, number>();
  const apiKeysSeen = new Map<string, number>();
  let weightRefusals = 0;
  const errors: unknown[] = [];
  const sockets = new Set<WebSocket>();
  const streamSockets = new Set<WebSocket>();
  const hung = new Set<ServerResponse>();
  const log = (options.logger ?? noopLogger).child({ component: 'binance-sim' });

  const dropWebSockets = () => {
    const n = sockets.size;
    for (const ws of sockets) ws.terminate();
    faults.stats.wsDrops += n;
    return n;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (path.startsWith('/__')) {
      try {
        await adminRoute(req, res, path, {
          faults,
          market,
          accounts,
          symbol: spec.symbol,
          setFilters,
          dropWebSockets,
          wsConnections: () => sockets.size,
          advanced: () => save(),
        });
      } catch (e) {
        sendJson(res, 400, { error: e instanceof Error ? e.message : String(e) });
      }
      return;
    }
    const rawBody = await readBody(req);
    const now = clock.now();
    const headers: Record<string, string> = {};
    try {
      const route = findRoute(method, path);
      const limited = faults.rateLimitVerdict(
        now,
        method === 'GET' && route?.security === 'SIGNED',
      );
      if (limited) throw limited;
      const params = new Map(new URLSearchParams(rawBody));
      for (const [k, v] of url.searchParams) params.set(k, v);
      const p = new RestParams(params);
      const weight = !route ? 1 : typeof route.weight === 'number' ? route.weight : route.weight(p);
      let used: number;
      try {
        used = weightsOf(req.socket.remoteAddress ?? '').charge(now, weight);
      } catch (e) {
        weightRefusals++;
        throw e;
      }
      headers['x-mbx-used-weight'] = headers['x-mbx-used-weight-1m'] = String(used);
      if (!route) throw BinanceErrors.unknownEndpoint();
      requests.set(`${method} ${path}`, (requests.get(`${method} ${path}`) ?? 0) + 1);
      const apiKeyHeader = req.headers['x-mbx-apikey'];
      const key = Array.isArray(apiKeyHeader) ? apiKeyHeader[0] : apiKeyHeader;
      if (key !== undefined) apiKeysSeen.set(key, (apiKeysSeen.get(key) ?? 0) + 1);
      if (key !== undefined && faults.revoked(key)) throw BinanceErrors.apiKeyInvalid();
      // A key signs for its own account only: its secret, its balances, orders and streams.
      const keys = (k: string) => accounts.byKey(k);
      let caller = first;
      if (route.security === 'API_KEY') caller = accounts.byKey(checkApiKey(key, keys).apiKey)!;
      if (route.security === 'SIGNED')
        caller = accounts.byKey(
          verifySignedRequest(
            { rawQuery: url.search.slice(1), rawBody, apiKey: key, params },
            keys,
            now,
          ).apiKey,
        )!;
      if (route.createsOrder) faults.takeReportLoss(p.get('newClientOrderId') ?? '');
      const body = route.handle(p, contextOf(caller));
      // Orders and fills are saved as their reports leave; listen keys change without one.
      if (route.security === 'API_KEY') save();
      if (route.createsOrder) {
        const drop = faults.takeOrderDrop();
        if (drop === 'reset') {
          req.socket.destroy();
          log.info('request dropped (reset)', { method, path });
          return;
        }
        if (drop === 'hang') {
          hung.add(res);
          res.on('close', () => hung.delete(res));
          log.info('request dropped (hang)', { method, path });
          return;
        }
      }
      sendJson(res, 200, body, headers);
      log.debug('request', { method, path, status: 200 });
    } catch (e) {
      let err: BinanceError;
      if (e instanceof BinanceError) err = e;
      else {
        errors.push(e);
        err = new BinanceError(-1000, BINANCE_MESSAGES[-1000]!, 500);
      }
      sendJson(res, err.status, err.body(), { ...headers, ...err.headers });
      logRefusal(log, { method, path }, err);
    }
  }

  const server = serverOf(handle, errors, { code: -1000, msg: BINANCE_MESSAGES[-1000] });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname;
    const rest = path.startsWith('/ws/') ? decodeURIComponent(path.slice(4)) : null;
    let attach: ((ws: WebSocket) => void) | null = null;
    const stream = (ws: WebSocket) => {
      streamSockets.add(ws);
      ws.on('close', () => streamSockets.delete(ws));
    };
    if (path === '/ws-api/v3') attach = (ws) => wsApi.attach(ws);
    else if (path === '/ws') attach = (ws) => (stream(ws), hub.attach(ws, false, []));
    else if (path === '/stream' || path === '/stream/')
      attach = (ws) => (
        stream(ws),
        hub.attach(ws, true, (url.searchParams.get('streams') ?? '').split('/'))
      );
    else if (rest !== null && accounts.byListenKey(rest)) {
      const owner = accounts.byListenKey(rest)!;
      attach = (ws) => owner.userData.attachListenKey(ws, rest);
    } else if (rest !== null) attach = (ws) => (stream(ws), hub.attach(ws, false, rest.split('/')));
    if (!attach) {
      socket.destroy();
      return;
    }
    const use = attach;
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => ws.terminate());
      use(ws);
    });
  });

  let dropTimer: ReturnType<typeof setTimeout> | null = null;
  const scheduleDrop = () => {
    const delay = faults.nextWsDropMs();
    dropTimer =
      delay === null
        ? null
        : setTimeout(() => {
            dropWebSockets();
            scheduleDrop();
          }, delay);
  };
  faults.onChange(() => {
    if (dropTimer) clearTimeout(dropTimer);
    scheduleDrop();
  });

  let replayTimer: ReturnType<typeof setInterval> | null = null;
  if (anchor) {
    // A restarted venue's market moved on while it was down, as a real one's does.
    const { wall0: w0, from, speed } = anchor;
    replayTimer = setInterval(
      () => market.advanceTo(from + (clock.now() - w0) * speed),
      rt?.stepMs ?? 50,
    );
  }

  const { url: restUrl, host, port } = await listen(server, options.port, options.host);

  return {
    url: restUrl,
    wsUrl: `ws://${host}:${port}`,
    port,
    apiKey: first.apiKey,
    secret: first.secret,
    keys: accounts.all().map((a) => ({ apiKey: a.apiKey, secret: a.secret })),
    restored: saved !== null,
    symbol: spec.symbol,
    market,
    faults,
    state: {
      ...accountState(first),
      account: (k) => {
        const a = accounts.byKey(k);
        return a && accountState(a);
      },
      accounts: () => accounts.all().map(accountState),
      requests,
      apiKeys: apiKeysSeen,
      weightRefusals: () => weightRefusals,
      wsConnections: () => sockets.size,
      streamConnections: () => streamSockets.size,
      subscriptions: () => hub.streams(),
      userDataListeners: () => accounts.listeners(),
      errors,
    },
    advance: (n = 1) => {
      market.advance(n);
      save();
    },
    setFilters,
    dropWebSockets,
    async close() {
      if (dropTimer) clearTimeout(dropTimer);
      if (replayTimer) clearInterval(replayTimer);
      faults.close();
      for (const ws of sockets) ws.terminate();
      for (const res of hung) res.destroy();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function accountState(a: VenueAccount): BinanceSimAccountState {
  return {
    apiKey: a.apiKey,
    orders: () => a.matcher.orders(),
    openOrders: () => a.matcher.openOrders(),
    trades: () => a.matcher.trades(),
    balances: () => a.account.balances(),
  };
}

/** The configured accounts: `accounts`, else the one of `apiKey`/`secret` (or the example pair). */
function accountList(options: BinanceSimOptions): readonly SimAccountOptions[] {
  if (options.accounts === undefined)
    return [
      { apiKey: options.apiKey ?? EXAMPLE_API_KEY, secret: options.secret ?? EXAMPLE_SECRET },
    ];
  if (options.apiKey !== undefined || options.secret !== undefined)
    throw new KairosError(
      'CONFIG_INVALID',
      'accounts: give the key pairs either as accounts or as apiKey/secret, not both',
    );
  if (options.accounts.length === 0)
    throw new KairosError('CONFIG_INVALID', 'accounts: at least one account');
  for (const a of options.accounts)
    if (a.apiKey === '' || a.secret === '')
      throw new KairosError(
        'CONFIG_INVALID',
        'accounts: an API key and its secret may not be empty',
      );
  return options.accounts;
}

/** A saved state is taken back only over the same market and the same accounts. */
function checkSaved(
  saved: SavedVenue,
  market: SavedVenue['market'],
  accounts: readonly SimAccountOptions[],
  file: string,
): void {
  const m = saved.market;
  if (
    m.symbol !== market.symbol ||
    m.bars !== market.bars ||
    m.firstOpenTime !== market.firstOpenTime ||
    m.lastOpenTime !== market.lastOpenTime
  )
    throw new KairosError(
      'CONFIG_INVALID',
      `state: ${file} was written over another market (${m.symbol}, ${m.bars} bars), not this data (${market.symbol}, ${market.bars} bars)`,
    );
  const given = new Set(accounts.map((a) => a.apiKey));
  for (const k of saved.accounts.keys())
    if (!given.has(k))
      throw new KairosError(
        'CONFIG_INVALID',
        `state: ${file} holds the account of API key ${k}, which is not given (its orders and balances would be lost)`,
      );
}
