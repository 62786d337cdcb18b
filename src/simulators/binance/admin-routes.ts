import type { IncomingMessage, ServerResponse } from 'node:http';
import { BinanceJson } from './binance-json.js';
import type { Faults, FaultSettings } from './faults.js';
import { readBody, sendJson } from './http-io.js';
import type { ReplayMarket } from './market.js';
import type { SymbolSpecInput } from './symbol-spec.js';
import type { VenueAccounts } from './venue-accounts.js';

/** What the admin routes reach into. */
export interface AdminDeps {
  readonly faults: Faults;
  readonly market: ReplayMarket;
  readonly accounts: VenueAccounts;
  /** The Binance symbol id (`BTCUSDT`). */
  readonly symbol: string;
  /** Changes the symbol's filters (`POST /__filters`, string values as in `SymbolSpecInput`). */
  readonly setFilters: (filters: Omit<SymbolSpecInput, 'symbol'>) => void;
  readonly dropWebSockets: () => number;
  readonly wsConnections: () => number;
  /** Called after `/__advance` moved the replay (the state file keeps its position). */
  readonly advanced: () => void;
}

/**
 * The simulator's own routes (not Binance's): `GET/POST /__faults`, `POST /__advance`
 * (`{"bars": n}` or `{"to": ms}`), `GET /__state` (counts; the first account's balances, every
 * account's counts), `GET /__accounts` (every account's balances, orders and fills as Binance
 * writes them; never a secret), `POST /__drop-ws`, `POST /__filters` (the symbol's new filters:
 * `{"tickSize": "0.1"}`). Bodies are JSON; a bad
 * fault setting throws VENUE_FAULT_INVALID (the server answers 400 with its message).
 */
export async function adminRoute(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  d: AdminDeps,
): Promise<void> {
  const text = await readBody(req);
  let body: Record<string, unknown> = {};
  if (text.trim() !== '') body = JSON.parse(text) as Record<string, unknown>;
  const { faults, market, accounts } = d;
  const first = accounts.all()[0]!;
  if (path === '/__faults' && req.method === 'GET')
    return sendJson(res, 200, { settings: faults.settings(), stats: faults.stats });
  if (path === '/__faults' && req.method === 'POST') {
    const settings =
      body.reset === true ? faults.reset() : faults.set(body as Partial<FaultSettings>);
    return sendJson(res, 200, { settings, stats: faults.stats });
  }
  if (path === '/__filters' && req.method === 'POST') {
    d.setFilters(body as Omit<SymbolSpecInput, 'symbol'>);
    return sendJson(res, 200, { filters: body });
  }
  if (path === '/__advance' && req.method === 'POST') {
    if (typeof body.to === 'number') market.advanceTo(body.to);
    else market.advance(typeof body.bars === 'number' ? body.bars : 1);
    d.advanced();
  } else if (path === '/__drop-ws' && req.method === 'POST') {
    return sendJson(res, 200, { dropped: d.dropWebSockets() });
  } else if (path === '/__accounts' && req.method === 'GET') {
    return sendJson(
      res,
      200,
      accounts.all().map((a) => ({
        apiKey: a.apiKey,
        balances: a.account.balances(),
        orders: a.matcher.orders().map((o) => BinanceJson.order(d.symbol, o)),
        trades: a.matcher.trades().map((t) => BinanceJson.myTrade(d.symbol, t)),
      })),
    );
  } else if (!(path === '/__state' && req.method === 'GET')) {
    return sendJson(res, 404, { error: `no admin route ${req.method} ${path}` });
  }
  sendJson(res, 200, {
    now: market.now(),
    revealedBars: market.revealedBars,
    totalBars: market.totalBars,
    lastPrice: market.lastPrice(),
    orders: first.matcher.orders().length,
    openOrders: first.matcher.openOrders().length,
    trades: first.matcher.trades().length,
    balances: first.account.balances(),
    accounts: accounts.all().map((a) => ({
      apiKey: a.apiKey,
      orders: a.matcher.orders().length,
      openOrders: a.matcher.openOrders().length,
      trades: a.matcher.trades().length,
    })),
    wsConnections: d.wsConnections(),
  });
}
