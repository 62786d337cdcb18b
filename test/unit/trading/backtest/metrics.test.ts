import fc from 'fast-check';
import { computeMetrics, periodsPerYear } from '../../../../src/trading/backtest/metrics.js';
import { sampleIndices } from '../../../../src/trading/backtest/downsample.js';
import type { RoundTrip } from '../../../../src/trading/backtest/report.js';

const DAY = 86_400_000;
const trip = (pnl: string): RoundTrip => ({
  instrumentId: 'X',
  side: 'LONG',
  openedAt: 0,
  closedAt: 1,
  quantity: '1',
  entryPrice: '1',
  exitPrice: '1',
  pnl,
  fees: '0',
});
const base = { startEquity: '100', fees: '0', barsInMarket: 0, roundTrips: [] as RoundTrip[] };

describe('computeMetrics', () => {
  it('computes drawdown, its duration, returns, win rate and profit factor by hand', () => {
    const equity = [110, 99, 121, 100, 130];
    const times = equity.map((_, i) => (i + 1) * DAY);
    const m = computeMetrics({
      ...base,
      times,
      equity,
      length: 5,
      endEquity: '130',
      roundTrips: [trip('10'), trip('-4'), trip('6')],
      barsInMarket: 2,
    });
    expect(m.totalReturn).toBe(0.3);
    expect(m.maxDrawdown).toBeCloseTo(1 - 100 / 121, 9);
    expect(m.maxDrawdownDuration).toBe(2 * DAY); // peak 110 at day 1, recovered at day 3 (121); 121 → 130 also 2 days
    const flat = computeMetrics({
      ...base,
      times,
      equity: [100, 100, 101, 102, 103],
      length: 5,
      endEquity: '103',
    });
    expect(flat.maxDrawdownDuration).toBe(0);
    expect(m.winRate).toBeCloseTo(2 / 3, 9);
    expect(m.profitFactor).toBe(4);
    expect(m.exposure).toBe(0.4);
    // Sharpe from the per-bar returns, computed independently.
    const prev = [100, ...equity.slice(0, -1)];
    const r = equity.map((e, i) => e / prev[i]! - 1);
    const mean = r.reduce((a, x) => a + x, 0) / r.length;
    const sd = Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / (r.length - 1));
    expect(m.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(m.periodsPerYear), 6);
  });

  it('gives 0, never NaN, on degenerate input; profit factor null with no loss', () => {
    const m = computeMetrics({
      ...base,
      times: [DAY],
      equity: [100],
      length: 1,
      endEquity: '100',
      roundTrips: [trip('1')],
    });
    expect([m.sharpe, m.sortino, m.cagr, m.maxDrawdown]).toEqual([0, 0, 0, 0]);
    expect(m.profitFactor).toBeNull();
    expect(JSON.stringify(m)).not.toMatch(/NaN|null,"roundTrips":0/);
  });

  it('infers periods per year: 252 for weekday-only daily bars, minutes for 24/7 data', () => {
    const weekdays: number[] = [];
    for (let d = 0; weekdays.length < 500; d++) if (d % 7 < 5) weekdays.push(d * DAY);
    expect(periodsPerYear(weekdays, weekdays.length)).toBe(252);
    expect(Math.round(periodsPerYear([0, 60_000, 120_000, 180_000], 4))).toBe(525960);
  });

  it('keeps max drawdown in [0, 1] for positive equity (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
        (eq) => {
          const m = computeMetrics({
            ...base,
            times: eq.map((_, i) => i * DAY),
            equity: eq,
            length: eq.length,
            endEquity: String(eq.at(-1)),
          });
          expect(m.maxDrawdown).toBeGreaterThanOrEqual(0);
          expect(m.maxDrawdown).toBeLessThan(1);
        },
      ),
    );
  });
});

describe('sampleIndices', () => {
  it('keeps first, last and each bucket low; bounded size (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 3000 }),
        fc.integer({ min: 4, max: 500 }),
        (vals, max) => {
          const idx = sampleIndices(vals.length, max, vals);
          expect(idx[0]).toBe(0);
          expect(idx.at(-1)).toBe(vals.length - 1);
          expect(idx.length).toBeLessThanOrEqual(
            Math.max(vals.length <= max ? vals.length : max + 1, 1),
          );
          for (let i = 1; i < idx.length; i++) expect(idx[i]!).toBeGreaterThan(idx[i - 1]!);
          const min = vals.indexOf(Math.min(...vals));
          expect(idx.map((i) => vals[i]!)).toContain(vals[min]);
        },
      ),
    );
  });
});
