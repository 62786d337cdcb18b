import type { Bar } from '../../../../src/trading/data/market-data.js';
import { MarketViews } from '../../../../src/simulators/binance/market-views.js';
import { ReplayMarket, type MarketEvent } from '../../../../src/simulators/binance/market.js';

const M = 60_000;
const T0 = 1_700_000_040_000;
const start = T0 - (T0 % (5 * M)); // a 5-minute boundary

function bars(n: number): Bar[] {
  return Array.from({ length: n }, (_, i) => {
    const open = 100 + i;
    return {
      instrumentId: 'BTC/USDT',
      openTime: start + i * M,
      closeTime: start + (i + 1) * M,
      open,
      high: open + 2,
      low: open - 1,
      close: open + 1,
      volume: 8,
    };
  });
}

describe('ReplayMarket', () => {
  it('turns each bar into four trades on its intrabar path, then a close', () => {
    const m = new ReplayMarket(bars(3));
    const seen: MarketEvent[] = [];
    m.onEvent((e) => seen.push(e));
    m.advance(1);
    expect(seen.map((e) => (e.kind === 'trade' ? e.tick.price : 'close'))).toEqual([
      100,
      99,
      102,
      101,
      'close',
    ]);
    const ticks = seen.flatMap((e) => (e.kind === 'trade' ? [e.tick] : []));
    expect(ticks.map((t) => [t.id, t.ts - start, t.qty])).toEqual([
      [1, 0, 2],
      [2, 15_000, 2],
      [3, 30_000, 2],
      [4, 45_000, 2],
    ]);
    expect(ticks.map((t) => t.isBuyerMaker)).toEqual([false, true, false, true]);
    expect(m.now()).toBe(start + M);
    expect(m.lastPrice()).toBe(101);
  });

  it('advanceTo reveals only what happened by then; a partial bar shows in klines', () => {
    const m = new ReplayMarket(bars(3));
    m.advanceTo(start + M + 20_000); // bar 0 whole, bar 1: two trades
    expect(m.revealedTrades).toBe(6);
    expect(m.revealedBars).toBe(2);
    const rows = MarketViews.klines(m, M, { limit: 500 });
    expect(rows).toHaveLength(2);
    expect(rows[1]!.slice(0, 6)).toEqual([
      start + M,
      '101.00000000',
      '101.00000000',
      '100.00000000',
      '100.00000000',
      '4.00000000',
    ]);
  });

  it('pages klines like Binance: from startTime forward, else the latest; intervals aggregate', () => {
    const m = new ReplayMarket(bars(12));
    m.advance(12);
    const times = (rows: unknown[][]) => rows.map((r) => ((r[0] as number) - start) / M);
    expect(times(MarketViews.klines(m, M, { startTime: start + 3 * M, limit: 4 }))).toEqual([
      3, 4, 5, 6,
    ]);
    expect(times(MarketViews.klines(m, M, { limit: 3 }))).toEqual([9, 10, 11]);
    expect(times(MarketViews.klines(m, M, { endTime: start + 4 * M, limit: 2 }))).toEqual([3, 4]);
    const five = MarketViews.klines(m, 5 * M, { limit: 10 });
    expect(times(five)).toEqual([0, 5, 10]);
    expect(five[0]!.slice(1, 6)).toEqual([
      '100.00000000',
      '106.00000000',
      '99.00000000',
      '105.00000000',
      '40.00000000',
    ]);
    expect(five[0]![6]).toBe(start + 5 * M - 1);
    expect(five[0]![8]).toBe(20);
  });

  it('finds trade ids by time and by id', () => {
    const m = new ReplayMarket(bars(5));
    m.advance(5);
    expect(MarketViews.tradeIds(m, { limit: 3 })).toEqual([18, 20]);
    expect(MarketViews.tradeIds(m, { fromId: 7, limit: 3 })).toEqual([7, 9]);
    expect(MarketViews.tradeIds(m, { startTime: start + M + 1, limit: 2 })).toEqual([6, 7]);
    expect(MarketViews.tradeIds(m, { endTime: start + M, limit: 2 })).toEqual([4, 5]);
  });
});
