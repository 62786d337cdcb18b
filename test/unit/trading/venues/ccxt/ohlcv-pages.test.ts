import ccxt, { type Exchange, type OHLCV } from 'ccxt';
import type { Bar } from '../../../../../src/trading/data/market-data.js';
import { ohlcvPages, timeframeMs } from '../../../../../src/trading/venues/ccxt/ohlcv-pages.js';

const M = 60_000;

/** A venue with candles 0..n-1 (open times i minutes), answering like Binance klines. */
function venue(n: number, calls: number[][] = []): Exchange {
  const ex = new ccxt.binance();
  const rows: OHLCV[] = Array.from({ length: n }, (_, i) => [i * M, i, i + 1, i - 1, i, 1]);
  ex.fetchOHLCV = async (_s: string, _tf?: string, since?: number, limit?: number) => {
    calls.push([since ?? -1, limit ?? -1]);
    return rows.filter((r) => r[0]! >= (since ?? 0)).slice(0, limit);
  };
  return ex;
}

async function all(gen: AsyncIterable<Bar[]>): Promise<number[]> {
  const out: number[] = [];
  for await (const page of gen) out.push(...page.map((b) => b.openTime / M));
  return out;
}

describe('ohlcvPages', () => {
  it('pages forward to the forming bar and never yields it', async () => {
    const calls: number[][] = [];
    const now = () => 9 * M + 30_000; // bar 9 is forming
    const got = await all(
      ohlcvPages(venue(10, calls), {
        symbol: 'BTC/USDT',
        timeframe: '1m',
        since: 0,
        limit: 4,
        now,
      }),
    );
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(calls.map((c) => c[0]! / M)).toEqual([0, 4, 8]);
  });

  it('takes the last bar of a full page as closed only when a later one exists', async () => {
    // The venue runs ahead of our clock (a replay): bars are closed by the next bar's existence.
    const got = await all(
      ohlcvPages(venue(10), {
        symbol: 'BTC/USDT',
        timeframe: '1m',
        since: 2 * M,
        limit: 3,
        now: () => 0,
      }),
    );
    expect(got).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });

  it('stops at `until` (exclusive) and at the end of the data', async () => {
    const now = () => 100 * M;
    const opts = { symbol: 'BTC/USDT', timeframe: '1m', since: 0, limit: 1000, now };
    expect(await all(ohlcvPages(venue(10), { ...opts, until: 5 * M }))).toEqual([0, 1, 2, 3, 4]);
    expect(await all(ohlcvPages(venue(10), opts))).toHaveLength(10);
    expect(await all(ohlcvPages(venue(0), opts))).toEqual([]);
  });
});

describe('timeframeMs', () => {
  it('reads a timeframe the venue offers; names the flag otherwise', () => {
    const ex = new ccxt.binance();
    expect(timeframeMs(ex, '1h')).toBe(3_600_000);
    expect(() => timeframeMs(ex, '7m')).toThrow(/--timeframe: binance offers .*was "7m"/);
    expect(() => timeframeMs(ex, 'soon')).toThrow(/--timeframe: must be a timeframe like 1m/);
  });
});
