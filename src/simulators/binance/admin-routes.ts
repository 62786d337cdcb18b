import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Account } from './account.js';
import type { Faults, FaultSettings } from './faults.js';
import { readBody, sendJson } from './http-io.js';
import type { ReplayMarket } from './market.js';
import type { SpotMatcher } from './matching.js';

/** What the admin routes reach into. */
export interface AdminDeps {
  readonly faults: Faults;
  readonly market: ReplayMarket;
  readonly matcher: SpotMatcher;
  readonly account: Account;
  readonly dropWebSockets: () => number;
  readonly wsConnections: () => number;
}

/**
 * The simulator's own routes (not Binance's): `GET/POST /__faults`, `POST /__advance`
 * (`{"bars": n}` or `{"to": ms}`), `GET /__state`, `POST /__drop-ws`. Bodies are JSON; a bad
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
  const { faults, market, matcher } = d;
  if (path === '/__faults' && req.method === 'GET')
    return sendJson(res, 200, { settings: faults.settings(), stats: faults.stats });
  if (path === '/__faults' && req.method === 'POST') {
    const settings =
      body.reset === true ? faults.reset() : faults.set(body as Partial<FaultSettings>);
    return sendJson(res, 200, { settings, stats: faults.stats });
  }
  if (path === '/__advance' && req.method === 'POST') {
    if (typeof body.to === 'number') market.advanceTo(body.to);
    else market.advance(typeof body.bars === 'number' ? body.bars : 1);
  } else if (path === '/__drop-ws' && req.method === 'POST') {
    return sendJson(res, 200, { dropped: d.dropWebSockets() });
  } else if (!(path === '/__state' && req.method === 'GET')) {
    return sendJson(res, 404, { error: `no admin route ${req.method} ${path}` });
  }
  sendJson(res, 200, {
    now: market.now(),
    revealedBars: market.revealedBars,
    totalBars: market.totalBars,
    lastPrice: market.lastPrice(),
    orders: matcher.orders().length,
    openOrders: matcher.openOrders().length,
    trades: matcher.trades().length,
    balances: d.account.balances(),
    wsConnections: d.wsConnections(),
  });
}
