import { num8 } from '../binance/format.js';
import { MarketViews } from '../binance/market-views.js';
import { OkxErrors } from './okx-error.js';
import { instIdOf, OkxJson } from './okx-json.js';
import type { OkxParams } from './okx-params.js';
import type { OkxContext, OkxRoute } from './okx-context.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  m: 60_000,
  H: 3_600_000,
  D: 86_400_000,
  W: 7 * 86_400_000,
};

/** The length of an OKX `bar` (`1m`, `4H`, `1Dutc`, ...) the replay can serve; 51000 otherwise. */
export function barMs(bar: string, baseMs: number): number {
  const m = /^(\d{1,2})([mHDW])(utc)?$/.exec(bar);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!]! : NaN;
  if (!Number.isSafeInteger(ms) || ms < baseMs || ms % baseMs !== 0) throw OkxErrors.param('bar');
  return ms;
}

/** `instId` must be ours (51001). */
function instrument(p: OkxParams, ctx: OkxContext): void {
  if (p.need('instId') !== instIdOf(ctx.spec)) throw OkxErrors.instrument();
}

/**
 * Candles, newest first: `[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]`, those older than
 * `after` and newer than `before` (both exclusive, OKX's), at most `limit` (300).
 */
function candles(p: OkxParams, ctx: OkxContext): unknown[] {
  instrument(p, ctx);
  const ms = barMs(p.get('bar') ?? '1m', ctx.market.intervalMs);
  const limit = p.limit(100, 300);
  const after = p.int('after');
  const before = p.int('before');
  const rows = MarketViews.klines(ctx.market, ms, {
    endTime: after === undefined ? undefined : after - 1,
    limit,
  });
  const now = ctx.market.now();
  return rows
    .filter((r) => before === undefined || (r[0] as number) > before)
    .reverse()
    .map((r) => {
      const t = r[0] as number;
      return [String(t), r[1], r[2], r[3], r[4], r[5], r[7], r[7], t + ms <= now ? '1' : '0'];
    });
}

/** The latest public trades, newest first (`limit` up to 500, default 100). */
function trades(p: OkxParams, ctx: OkxContext): unknown[] {
  instrument(p, ctx);
  const limit = p.limit(100, 500);
  const [a, b] = MarketViews.tradeIds(ctx.market, { limit });
  const out: unknown[] = [];
  for (let id = b; id >= a && id >= 1; id--) out.push(OkxJson.trade(ctx.spec, ctx.market.tick(id)));
  return out;
}

/** The public endpoints Kairos (through ccxt's `okx`) calls, with OKX's documented limits. */
export const PUBLIC_ROUTES: readonly OkxRoute[] = [
  {
    method: 'GET',
    path: '/api/v5/public/time',
    private: false,
    limit: 10,
    windowMs: 2_000,
    handle: (_p, ctx) => ({ data: [{ ts: String(ctx.serverNow()) }] }),
  },
  {
    method: 'GET',
    path: '/api/v5/public/instruments',
    private: false,
    limit: 20,
    windowMs: 2_000,
    handle: ([p], ctx) => {
      const type = p!.need('instType');
      if (!['SPOT', 'MARGIN', 'SWAP', 'FUTURES', 'OPTION'].includes(type))
        throw OkxErrors.param('instType');
      const id = p!.get('instId');
      if (type !== 'SPOT' || (id !== undefined && id !== instIdOf(ctx.spec))) return { data: [] };
      return { data: [OkxJson.instrument(ctx.spec)] };
    },
  },
  {
    method: 'GET',
    path: '/api/v5/market/candles',
    private: false,
    limit: 40,
    windowMs: 2_000,
    handle: ([p], ctx) => ({ data: candles(p!, ctx) }),
  },
  {
    method: 'GET',
    path: '/api/v5/market/history-candles',
    private: false,
    limit: 20,
    windowMs: 2_000,
    handle: ([p], ctx) => ({ data: candles(p!, ctx) }),
  },
  {
    method: 'GET',
    path: '/api/v5/market/trades',
    private: false,
    limit: 100,
    windowMs: 2_000,
    handle: ([p], ctx) => ({ data: trades(p!, ctx) }),
  },
  {
    method: 'GET',
    path: '/api/v5/market/ticker',
    private: false,
    limit: 20,
    windowMs: 2_000,
    handle: ([p], ctx) => {
      instrument(p!, ctx);
      const last = num8(ctx.market.lastPrice() ?? 0);
      return {
        data: [
          {
            instType: 'SPOT',
            instId: instIdOf(ctx.spec),
            last,
            askPx: last,
            bidPx: last,
            ts: String(ctx.market.now()),
          },
        ],
      };
    },
  },
];
