import type { Exchange, Trade } from 'ccxt';

/**
 * The params that ask a venue for the page of our trades after `page` (the older ones: both
 * venues here answer newest first), with the request's other params unchanged; `null` when the
 * venue says there is no page after it; undefined when the page names no cursor (then paging
 * goes on by time).
 */
export type TradeCursor = (page: readonly Trade[]) => Record<string, string> | null | undefined;

const info = (t: Trade): Record<string, unknown> => (t.info ?? {}) as Record<string, unknown>;

/**
 * OKX (`GET /api/v5/trade/fills` and `fills-history`, which ccxt's `fetchMyTrades` and
 * `fetchOrderTrades` call, passing params through): newest first, at most 100 a page, `after` = a
 * `billId` asks for the fills older than it. Bill ids are 18 digits, past 2^53: compared exact.
 */
const okx: TradeCursor = (page) => {
  let oldest: bigint | undefined;
  for (const t of page) {
    const bill = info(t).billId;
    if (typeof bill !== 'string' || !/^\d{1,30}$/.test(bill)) return undefined;
    const id = BigInt(bill);
    if (oldest === undefined || id < oldest) oldest = id;
  }
  return oldest === undefined ? undefined : { after: oldest.toString() };
};

/**
 * Bybit (`GET /v5/execution/list`): newest first, the response's `nextPageCursor` passed back as
 * `cursor`; ccxt puts it in the first item's `info` (`addPaginationCursorToResult`), and none
 * when the answer has none: the last page.
 */
const bybit: TradeCursor = (page) => {
  for (const t of page) {
    const c = info(t).nextPageCursor;
    if (typeof c === 'string' && c !== '') return { cursor: c };
  }
  return null;
};

const CURSORS: Readonly<Record<string, TradeCursor>> = {
  okx,
  okxus: okx,
  myokx: okx,
  bybit,
  bybiteu: bybit,
  bybitid: bybit,
};

/**
 * The cursor a venue pages our trades by, where ccxt passes one through (OKX, Bybit); undefined
 * for a venue paged by time (or, on Binance, by trade id: `fromId`).
 *
 * @example
 * const next = tradeCursor(exchange)?.(page); // OKX: { after: '317321390265368576' }
 */
export function tradeCursor(exchange: Pick<Exchange, 'id'>): TradeCursor | undefined {
  return Object.hasOwn(CURSORS, exchange.id) ? CURSORS[exchange.id] : undefined;
}
