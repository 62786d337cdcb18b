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
            at: fc.oneof(
              fc.integer({ min: -3 * DAY, max: 2 * 3_600_000 }),
              fc.constantFrom(-DAY, -1, 0, 1, 20 * 60_000),
            ),
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
