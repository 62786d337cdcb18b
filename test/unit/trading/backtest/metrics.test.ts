import Big from 'big.js';
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

// Each metric of docs/metrics.md computed again from its definition, in the plainest way (two
// passes, arrays of returns, big.js for money), and compared with computeMetrics on random
// equity curves, bar spacings and round trips. A rule the code breaks with every example test
// green (a tie with the peak taken as a fall, a loss of exactly 0 counted as a win, the first
// bar's return measured from the wrong equity) shows here.

const YEAR = 365.25 * DAY;

/** Equal within 1e-8 of the larger (the code's streaming sums round differently). */
function near(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull();
  const scale = Math.max(1, Math.abs(expected));
  if (Math.abs(actual! - expected) > 1e-8 * scale)
    throw new Error(`expected ${expected}, got ${actual}`);
}

interface Reference {
  totalReturn: number;
  cagr: number;
  sharpe: number;
  sortino: number;
  maxDrawdown: number;
  maxDrawdownDuration: number;
  winRate: number;
  profitFactor: number | null;
  exposure: number;
}

/** The definitions, one by one: the equity curve starts from `start` before the first bar. */
function reference(
  times: number[],
  equity: number[],
  start: number,
  end: number,
  pnls: string[],
  barsInMarket: number,
  ppy: number,
): Reference {
  const n = equity.length;
  const returns = equity.map((e, i) => {
    const before = i === 0 ? start : equity[i - 1]!;
    return before === 0 ? 0 : e / before - 1;
  });
  const mean = n > 0 ? returns.reduce((a, r) => a + r, 0) / n : 0;
  const sd = n > 1 ? Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1)) : 0;
  const downside = n > 0 ? Math.sqrt(returns.reduce((a, r) => a + Math.min(r, 0) ** 2, 0) / n) : 0;
  // Drawdown: the running peak (the start equity first, at the first bar's time; a bar that
  // reaches it again is the new peak). For each bar under water: the fall from its peak, and the
  // time from that peak to the first bar back at it, or to the last bar if none.
  const peaks: { value: number; at: number }[] = [];
  let peak = { value: start, at: times[0] ?? 0 };
  for (let i = 0; i < n; i++) {
    peaks.push(peak);
    if (equity[i]! >= peak.value) peak = { value: equity[i]!, at: times[i]! };
  }
  let maxDrawdown = 0;
  let maxDrawdownDuration = 0;
  for (let i = 0; i < n; i++) {
    const { value, at } = peaks[i]!;
    if (equity[i]! >= value) continue;
    if (value > 0) maxDrawdown = Math.max(maxDrawdown, (value - equity[i]!) / value);
    let back = i + 1;
    while (back < n && equity[back]! < value) back++;
    maxDrawdownDuration = Math.max(maxDrawdownDuration, times[Math.min(back, n - 1)]! - at);
  }
  const years = n > 1 ? (times[n - 1]! - times[0]!) / YEAR : 0;
  const wins = pnls.filter((p) => new Big(p).gt(0));
  const losses = pnls.filter((p) => !new Big(p).gt(0));
  const grossWin = wins.reduce((a, p) => a.plus(p), new Big(0));
  const grossLoss = losses.reduce((a, p) => a.plus(p), new Big(0));
  return {
    totalReturn: start === 0 ? 0 : end / start - 1,
    // Everything lost is -100 % a year; a negative end has no real root.
    cagr: years > 0 && end >= 0 && start > 0 ? (end / start) ** (1 / years) - 1 : 0,
    sharpe: sd > 0 ? (mean / sd) * Math.sqrt(ppy) : 0,
    sortino: downside > 0 ? (mean / downside) * Math.sqrt(ppy) : 0,
    maxDrawdown,
    maxDrawdownDuration,
    winRate: pnls.length > 0 ? wins.length / pnls.length : 0,
    profitFactor: grossLoss.eq(0) ? null : Number(grossWin.div(grossLoss.abs())),
    exposure: n > 0 ? barsInMarket / n : 0,
  };
}

describe('computeMetrics, each metric against its definition (docs/metrics.md)', () => {
  // Equity on a coarse grid so that bars tie with their peak and with each other; now and then
  // nothing (a return from zero equity is 0) or less than nothing (cash can go negative).
  const level = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 40 }).map((x) => 80 + x / 2), weight: 8 },
    { arbitrary: fc.constantFrom(0, -5), weight: 1 },
  );
  const curve = fc.array(level, { maxLength: 60 });
  const pnl = fc.oneof(
    fc.constant('0'),
    fc.integer({ min: -500, max: 500 }).map((x) => (x / 4).toString()),
  );

  it('gives each metric of any curve and round trips as its definition does (property)', () => {
    fc.assert(
      fc.property(
        curve,
        level,
        fc.integer({ min: 1, max: 3 * DAY }),
        fc.array(pnl, { maxLength: 12 }),
        fc.nat(),
        (equity, start, spacing, pnls, inMarket) => {
          const n = equity.length;
          const times = equity.map((_, i) => 1_600_000_000_000 + (i + 1) * spacing);
          const end = n > 0 ? equity[n - 1]! : start;
          const barsInMarket = n > 0 ? inMarket % (n + 1) : 0;
          const m = computeMetrics({
            times,
            equity,
            length: n,
            startEquity: String(start),
            endEquity: String(end),
            roundTrips: pnls.map(trip),
            fees: '1.5',
            barsInMarket,
          });
          const want = reference(times, equity, start, end, pnls, barsInMarket, m.periodsPerYear);
          near(m.totalReturn, want.totalReturn);
          near(m.cagr, want.cagr);
          near(m.sharpe, want.sharpe);
          near(m.sortino, want.sortino);
          near(m.maxDrawdown, want.maxDrawdown);
          expect(m.maxDrawdownDuration).toBe(want.maxDrawdownDuration);
          near(m.winRate, want.winRate);
          if (want.profitFactor === null) expect(m.profitFactor).toBeNull();
          else near(m.profitFactor, want.profitFactor);
          near(m.exposure, want.exposure);
          expect(m.roundTrips).toBe(pnls.length);
          expect([m.startEquity, m.endEquity, m.fees]).toEqual([String(start), String(end), '1.5']);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('max drawdown from a peak at zero', () => {
  it('is no fraction of a peak at or below zero: only falls from positive peaks count', () => {
    const m = computeMetrics({
      times: [1, 2, 3, 4],
      equity: [-5, 0, 85, 80],
      length: 4,
      startEquity: '0',
      endEquity: '80',
      roundTrips: [],
      fees: '0',
      barsInMarket: 0,
    });
    expect(m.maxDrawdown).toBe(Number((1 - 80 / 85).toPrecision(10)));
  });
});

describe('CAGR at its edges', () => {
  const cagr = (start: number, end: number, years: number) =>
    computeMetrics({
      times: [1_600_000_000_000, 1_600_000_000_000 + years * YEAR],
      equity: [start, end],
      length: 2,
      startEquity: String(start),
      endEquity: String(end),
      roundTrips: [],
      fees: '0',
      barsInMarket: 0,
    }).cagr;

  it('is the total return over exactly one year, -100 % when everything is lost', () => {
    expect(cagr(100, 121, 1)).toBe(0.21);
    expect(cagr(100, 121, 2)).toBe(0.1);
    expect(cagr(100, 0, 1)).toBe(-1);
    expect(cagr(100, 0, 0.5)).toBe(-1);
  });

  it('is 0 for a negative end or a start at or below zero, even where a power would be real', () => {
    expect(cagr(100, -10, 1)).toBe(0);
    expect(cagr(100, -10, 0.5)).toBe(0);
    expect(cagr(-100, -50, 1)).toBe(0);
    expect(cagr(-100, 50, 1)).toBe(0);
    expect(cagr(0, 50, 1)).toBe(0);
  });
});

describe('periodsPerYear against its definition', () => {
  /** 365.25 days over the median spacing; the upper of the two middle gaps for an even count. */
  const median = (gaps: number[]) => [...gaps].sort((a, b) => a - b)[gaps.length >> 1]!;

  it('is a year over the median bar spacing, for any spacing not near a day (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 17 * 3_600_000 }), { minLength: 1, maxLength: 50 }),
        (gaps) => {
          const times = [1_000];
          for (const g of gaps) times.push(times.at(-1)! + g);
          expect(periodsPerYear(times, times.length)).toBe(YEAR / median(gaps));
        },
      ),
    );
  });

  it('counts daily bars (a median within a quarter day of a day) 252 or 365 a year', () => {
    const T0 = 1_600_000_000_000;
    const daily = (n: number, gap: (i: number) => number) => {
      const t = [T0];
      for (let i = 1; i < n; i++) t.push(t[i - 1]! + gap(i));
      return t;
    };
    // Every calendar day: 365 a year; weekdays only (a 3-day gap after each Friday): 252.
    expect(
      periodsPerYear(
        daily(400, () => DAY),
        400,
      ),
    ).toBe(365);
    expect(
      periodsPerYear(
        daily(400, (i) => (i % 5 === 0 ? 3 * DAY : DAY)),
        400,
      ),
    ).toBe(252);
    // Daily means within a quarter day of a day, strictly: spacings just inside 18 h and 30 h
    // are daily (fewer than 300 bars a year: 252, else 365); 18 h and 30 h themselves are not.
    const H = 3_600_000;
    for (const h of [18.01, 29.99])
      expect(
        periodsPerYear(
          daily(50, () => h * H),
          50,
        ),
      ).toBe(YEAR / (h * H) < 300 ? 252 : 365);
    for (const h of [17.99, 18, 30, 30.01])
      expect(
        periodsPerYear(
          daily(50, () => h * H),
          50,
        ),
      ).toBeCloseTo(YEAR / (h * H), 6);
    // Exactly 300 bars a year, spaced a day at the median: not fewer than 300, so 365.
    const rest = (YEAR - 200 * DAY) / 100;
    expect(
      periodsPerYear(
        daily(301, (i) => (i % 3 === 0 ? rest : DAY)),
        301,
      ),
    ).toBe(365);
    expect(
      periodsPerYear(
        daily(301, (i) => (i % 3 === 0 ? rest + 1 : DAY)),
        301,
      ),
    ).toBe(252);
    // Fewer than two bars: no spacing, 252.
    expect(periodsPerYear([5], 1)).toBe(252);
    expect(periodsPerYear([], 0)).toBe(252);
  });

  it('reads the median of every gap up to 20,000 bars, and the spacing of a long regular run', () => {
    // Gaps of 1 and 3 minutes in turn: the upper median of every gap is 3 minutes.
    const n = 19_999;
    const times = [0];
    for (let i = 1; i < n; i++) times.push(times[i - 1]! + (i % 2 === 0 ? 60_000 : 180_000));
    expect(periodsPerYear(times, n)).toBe(YEAR / 180_000);
    // 30,001 minute bars (the gaps sampled, not all read): a minute apart still.
    const long = Array.from({ length: 30_001 }, (_, i) => i * 60_000);
    expect(periodsPerYear(long, long.length)).toBe(YEAR / 60_000);
  });
});
