import fc from 'fast-check';
import type { Exchange, Trade } from 'ccxt';
import { myTradesSince } from '../../../../../src/trading/venues/ccxt/my-trades.js';

const DAY = 86_400_000;

/** A venue's `fetchMyTrades` over a fixed trade list, with Binance's paging rules. */
function venue(trades: { id: number; timestamp: number }[]) {
  const calls: string[] = [];
  const ex = {
    id: 'binance',
    // As ccxt's binance class says (its `features`): at most 1,000 trades a request.
    features: { spot: { fetchMyTrades: { limit: 1000 } } },
    async fetchMyTrades(
      _s: string,
      since?: number,
      limit = 500,
      params: Record<string, number> = {},
    ) {
      calls.push(`${since ?? '-'} ${params.until ?? '-'} ${params.fromId ?? '-'}`);
      let out = trades;
      if (params.fromId !== undefined) out = out.filter((t) => t.id >= params.fromId!);
      else if (since !== undefined) {
        const until = params.until ?? since + DAY - 1;
        out = out.filter((t) => t.timestamp >= since && t.timestamp <= until);
      } else out = out.slice(-limit);
      return out.slice(0, limit) as unknown as Trade[];
    },
  };
  return { ex: ex as unknown as Exchange, calls };
}

const read = <T>(call: () => Promise<T>) => call();

/** A trade's stamp from our clock: anywhere in three days and some hours ahead, or one of a few shared ones. */
const anOffset = fc.oneof(
  fc.integer({ min: -3 * DAY, max: 2 * 3_600_000 }),
  fc.constantFrom(-DAY, -1, 0, 1, 20 * 60_000),
);

/**
 * A venue that pages our trades by time only (no `fromId`): a `since` gives the trades from that
 * stamp on in (stamp, id) order, `until` bounds it, no `since` gives the newest. Its trade ids are
 * strings that need not follow time. With `cap`, it answers at most that many whatever is asked
 * (OKX and Bybit: 100), saying so in ccxt's `features` when `declared`. With `newestFirst` a
 * page cut by the limit holds the newest of the range, not the oldest (OKX's fills-history).
 */
function byTimeVenue(
  trades: { id: string; timestamp: number }[],
  cap = Infinity,
  declared = false,
  newestFirst = false,
) {
  const ordered = [...trades].sort((a, b) => a.timestamp - b.timestamp || a.id.localeCompare(b.id));
  const ex = {
    id: 'okx',
    ...(declared ? { features: { spot: { fetchMyTrades: { limit: cap } } } } : {}),
    async fetchMyTrades(
      _s: string,
      since?: number,
      asked = 100,
      params: Record<string, number> = {},
    ) {
      const limit = Math.min(asked, cap);
      if (since === undefined) return ordered.slice(-limit) as unknown as Trade[];
      const until = params.until ?? Infinity;
      const range = ordered.filter((t) => t.timestamp >= since && t.timestamp <= until);
      return (newestFirst ? range.slice(-limit) : range.slice(0, limit)) as unknown as Trade[];
    },
  };
  return ex as unknown as Exchange;
}

/**
 * A venue answering our trades newest first, at most `cap` a request, and paging by a cursor as
 * OKX does (`after`: the fills older than a `billId`, 18 digits past 2^53) or Bybit does (`cursor`:
 * the `nextPageCursor` ccxt puts in the first item's `info`). `since`/`until` bound a range.
 */
function cursorVenue(
  trades: { id: string; timestamp: number }[],
  cap: number,
  kind: 'okx' | 'bybit',
) {
  const ordered = [...trades]
    .sort((a, b) => a.timestamp - b.timestamp || a.id.localeCompare(b.id))
    // Bill ids follow time and differ only past a double's precision.
    .map((t, i) => ({ ...t, bill: (317_321_390_265_368_576n + BigInt(i)).toString() }));
  const calls: Record<string, unknown>[] = [];
  const ex = {
    id: kind,
    features: { spot: { fetchMyTrades: { limit: cap } } },
    has: { fetchOrderTrades: false },
    async fetchMyTrades(
      _s: string,
      since?: number,
      asked = 100,
      params: { until?: number; after?: string; cursor?: string } = {},
    ) {
      calls.push({ since, ...params });
      const limit = Math.min(asked, cap);
      const older = params.after ?? params.cursor?.replace(/^c/, '');
      const range = ordered.filter(
        (t) =>
          (since === undefined || t.timestamp >= since) &&
          (params.until === undefined || t.timestamp <= params.until) &&
          (older === undefined || BigInt(t.bill) < BigInt(older)),
      );
      const newest = range.slice(-limit);
      const page = newest.map((t) => ({
        id: t.id,
        timestamp: t.timestamp,
        info: kind === 'okx' ? { billId: t.bill } : ({} as Record<string, string>),
      }));
      // Bybit names the next page (its oldest's bill id here: opaque to the client) while there is one.
      if (kind === 'bybit' && page.length > 0 && range.length > limit)
        page[0]!.info = { nextPageCursor: `c${newest[0]!.bill}` };
      return page as unknown as Trade[];
    },
  };
  return { ex: ex as unknown as Exchange, calls };
}

describe('myTradesSince', () => {
  const now = 1_800_000_000_000;

  it('finds trades stamped ahead of our clock, even when `from` itself is ahead of it', async () => {
    const { ex } = venue([
      { id: 1, timestamp: now + 5 * 60_000 },
      { id: 2, timestamp: now + 10 * 60_000 },
    ]);
    const got = await myTradesSince({
      exchange: ex,
      symbol: 'BTC/USDT',
      from: now + 5 * 60_000,
      now,
      read,
    });
    expect(got.map((t) => t.id)).toEqual([1, 2]);
  });

  it('returns every trade since `from` exactly once, whatever the page size and clock offset', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Stamps anywhere in three days and some hours ahead, and clusters that share a stamp.
        fc.array(
          fc.oneof(
            fc.integer({ min: -3 * DAY, max: 2 * 3_600_000 }),
            fc.constantFrom(-DAY, -1, 0, 1, 20 * 60_000, 3_600_000),
          ),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: -2 * DAY, max: 3_600_000 }),
        async (offsets, pageSize, fromOffset) => {
          const trades = offsets
            .map((o) => now + o)
            .sort((a, b) => a - b)
            .map((timestamp, i) => ({ id: i + 1, timestamp }));
          const from = now + fromOffset;
          const { ex } = venue(trades);
          const got = await myTradesSince({
            exchange: ex,
            symbol: 'BTC/USDT',
            from,
            now,
            read,
            pageSize,
          });
          expect(got.map((t) => t.id)).toEqual(
            trades.filter((t) => t.timestamp >= from).map((t) => t.id),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('misses none of a burst stamped by a venue clock ahead of ours, however many pages it fills', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Up to `aheadMs` (6 h) past our clock, as the function promises.
        fc.integer({ min: 0, max: 5 * 3_600_000 }),
        fc.array(fc.integer({ min: 0, max: 3_600_000 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: -DAY, max: 0 }),
        async (skew, offsets, pageSize, fromOffset) => {
          const trades = offsets
            .map((o) => now + skew + o)
            .sort((a, b) => a - b)
            .map((timestamp, i) => ({ id: i + 1, timestamp }));
          const { ex } = venue(trades);
          const got = await myTradesSince({
            exchange: ex,
            symbol: 'BTC/USDT',
            from: now + fromOffset,
            now,
            read,
            pageSize,
          });
          expect(got.map((t) => t.id)).toEqual(trades.map((t) => t.id));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('finds two trades of one stamp past the last window when a page holds one', async () => {
    const at = now + 1_203_998;
    const { ex } = venue([
      { id: 1, timestamp: at },
      { id: 2, timestamp: at },
    ]);
    const got = await myTradesSince({
      exchange: ex,
      symbol: 'BTC/USDT',
      from: at - DAY,
      now,
      read,
      pageSize: 1,
    });
    expect(got.map((t) => t.id)).toEqual([1, 2]);
  });

  it('pages by time past a page whose ids do not follow time, and past a stamp fuller than a page, whichever end of a range a page holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            at: anOffset,
            id: fc.stringMatching(/^[a-z0-9]{1,6}$/),
          }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: -2 * DAY, max: 3_600_000 }),
        // The venue's own bound, below what is asked or not, said in `features` or not.
        fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
        fc.boolean(),
        fc.boolean(),
        async (drawn, asked, fromOffset, cap, declared, newestFirst) => {
          const pageSize = Math.min(asked, cap ?? Infinity);
          const ids = new Set<string>();
          const trades = drawn
            .filter((d) => !ids.has(d.id) && ids.add(d.id))
            .map((d) => ({ id: d.id, timestamp: now + d.at }));
          const from = now + fromOffset;
          const hidden: number[] = [];
          const got = await myTradesSince({
            exchange: byTimeVenue(trades, cap, declared, newestFirst),
            symbol: 'BTC/USDT',
            from,
            now,
            read,
            pageSize: asked,
            onHidden: (ts) => hidden.push(ts),
          });
          const gotIds = got.map((t) => String(t.id));
          expect(new Set(gotIds).size).toBe(gotIds.length);
          const wanted = trades.filter((t) => t.timestamp >= from);
          const perStamp = new Map<number, number>();
          for (const t of wanted) perStamp.set(t.timestamp, (perStamp.get(t.timestamp) ?? 0) + 1);
          // Every trade of a stamp a page can hold, and of a fuller stamp at least a page, which
          // is reported; nothing before `from`; oldest first.
          for (const t of wanted)
            if (perStamp.get(t.timestamp)! <= pageSize) expect(gotIds).toContain(t.id);
          for (const [ts, n] of perStamp) {
            const found = got.filter((t) => t.timestamp === ts).length;
            expect(found).toBeGreaterThanOrEqual(Math.min(n, pageSize));
            // Told whenever the venue's bound is known (asked for, or said in `features`).
            if (found < n && (cap === undefined || cap >= asked || declared))
              expect(hidden).toContain(ts);
          }
          for (const ts of hidden) expect(perStamp.get(ts)).toBeGreaterThanOrEqual(pageSize);
          expect(got.every((t) => t.timestamp! >= from)).toBe(true);
          const stamps = got.map((t) => t.timestamp!);
          expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('reads every trade through the venue cursor (OKX `after`, Bybit `cursor`), however many share a millisecond', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            at: anOffset,
            n: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 25 })),
          }),
          { maxLength: 20 },
        ),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: -2 * DAY, max: 3_600_000 }),
        fc.constantFrom('okx' as const, 'bybit' as const),
        async (drawn, cap, fromOffset, kind) => {
          let k = 0;
          const trades = drawn.flatMap((d) =>
            Array.from({ length: d.n }, () => ({ id: `t${k++}`, timestamp: now + d.at })),
          );
          const from = now + fromOffset;
          const hidden: number[] = [];
          const { ex } = cursorVenue(trades, cap, kind);
          const got = await myTradesSince({
            exchange: ex,
            symbol: 'BTC/USDT',
            from,
            now,
            read,
            onHidden: (ts) => hidden.push(ts),
          });
          const wanted = trades.filter((t) => t.timestamp >= from);
          expect(new Set(got.map((t) => t.id))).toEqual(new Set(wanted.map((t) => t.id)));
          expect(got).toHaveLength(wanted.length);
          expect(hidden).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("pages 250 fills of one millisecond by bill id, with the request's own time bound", async () => {
    const at = now - 60_000;
    const trades = Array.from({ length: 250 }, (_, i) => ({ id: `t${i}`, timestamp: at }));
    const { ex, calls } = cursorVenue(trades, 100, 'okx');
    const hidden: number[] = [];
    const got = await myTradesSince({
      exchange: ex,
      symbol: 'BTC/USDT',
      from: at,
      now,
      read,
      onHidden: (ts) => hidden.push(ts),
    });
    expect(got).toHaveLength(250);
    expect(hidden).toEqual([]);
    // The window's first page, then two older pages by bill id within the same window.
    expect(calls.slice(0, 3)).toEqual([
      { since: at, until: at + DAY - 1 },
      { since: at, until: at + DAY - 1, after: '317321390265368726' },
      { since: at, until: at + DAY - 1, after: '317321390265368626' },
    ]);
  });

  it('asks one window when nothing new happened and the window reaches 6 h past the clock', async () => {
    const { ex, calls } = venue([{ id: 1, timestamp: now - 1000 }]);
    await myTradesSince({ exchange: ex, symbol: 'BTC/USDT', from: now - 1000, now, read });
    expect(calls).toHaveLength(1);
  });

  it("with an order, on a venue without fetchOrderTrades, pages all our trades since `from` and keeps the order's", async () => {
    const trades = Array.from({ length: 250 }, (_, i) => ({
      id: `t${i}`,
      timestamp: now - 10_000 + i,
      order: i % 3 === 0 ? 'a' : 'b',
    }));
    const ex = Object.assign(byTimeVenue(trades, 100, true, true), { has: {} });
    const got = await myTradesSince({
      exchange: ex,
      symbol: 'BTC/USDT',
      from: now - 20_000,
      now,
      read,
      pageSize: 100,
      aheadMs: 0,
      order: 'a',
    });
    expect(got.map((t) => t.id)).toEqual(trades.filter((t) => t.order === 'a').map((t) => t.id));
  });
});
