import fc from 'fast-check';
import { BarBuilder } from '../../../../../src/trading/data/readers/bar-builder.js';
import { DataFormatError } from '../../../../../src/trading/data/readers/data-format-error.js';
import { parseTime } from '../../../../../src/trading/data/readers/parse-time.js';
import { TradeBuilder } from '../../../../../src/trading/data/readers/trade-builder.js';
import type { AggressorSide, Bar, TradeTick } from '../../../../../src/trading/data/market-data.js';
import { TIME_RULE } from '../../../../support/time-forms.js';

// The rules every reader's rows go through (bar-builder.ts, trade-builder.ts, parse-time.ts),
// stated over random rows and compared with an independent statement of each rule: what is
// refused, with which line and field; what is kept (from inclusive, to exclusive); the
// interval a file without one gets.

const opts = { source: 'rows.csv', instrumentId: 'X' };

/** The error a call throws, or null. */
function thrown(f: () => unknown): DataFormatError | Error | null {
  try {
    f();
    return null;
  } catch (e) {
    return e as Error;
  }
}

function allBars(b: BarBuilder): Bar[] {
  return b.finish();
}

describe('BarBuilder', () => {
  const FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;
  const bad = fc.constantFrom(NaN, Infinity, -Infinity);

  it('refuses the first value that is not a finite number, naming its line and field (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(bad, { nil: undefined, freq: 3 }), { minLength: 5, maxLength: 5 }),
        fc.integer({ min: 1, max: 10_000 }),
        (slots, line) => {
          // A valid row, high ≥ low, with the drawn bad values put in.
          const values = [10, 12, 9, 11, 100].map((v, i) => slots[i] ?? v);
          const b = new BarBuilder(opts);
          const e = thrown(() =>
            b.add(line, 1000, ...(values as [number, number, number, number, number]), '1000'),
          );
          const first = slots.findIndex((s) => s !== undefined);
          if (first < 0) {
            expect(e).toBeNull();
            return;
          }
          expect(e).toBeInstanceOf(DataFormatError);
          expect((e as DataFormatError).line).toBe(line);
          expect((e as DataFormatError).field).toBe(FIELDS[first]);
          expect(e!.message).toBe(`rows.csv:${line}: field "${FIELDS[first]}": is not a number`);
        },
      ),
    );
  });

  it('refuses a high below the low, and accepts a high equal to it', () => {
    const b = new BarBuilder(opts);
    expect(thrown(() => b.add(2, 1000, 5, 5, 5, 5, 0, '1000'))).toBeNull();
    const e = thrown(() => b.add(3, 2000, 5, 4.5, 4.75, 5, 0, '2000')) as DataFormatError;
    expect([e.line, e.field, e.message]).toEqual([
      3,
      'high',
      'rows.csv:3: field "high": 4.5 is below low 4.75',
    ]);
  });

  it('refuses a time that is not a number, or not after the previous row, quoting the raw text', () => {
    const b = new BarBuilder(opts);
    const e1 = thrown(() => b.add(2, NaN, 1, 1, 1, 1, 1, '2020-13-01')) as DataFormatError;
    expect(e1.message).toBe(
      `rows.csv:2: field "time": "2020-13-01" is not a date or timestamp (${TIME_RULE})`,
    );
    b.add(3, 5000, 1, 1, 1, 1, 1, '5000');
    const same = thrown(() => b.add(4, 5000, 1, 1, 1, 1, 1, '5000')) as DataFormatError;
    expect(same.message).toBe('rows.csv:4: field "time": 5000 is not after the previous row');
    const before = thrown(() => b.add(5, 4999, 1, 1, 1, 1, 1, '4999')) as DataFormatError;
    expect([before.line, before.field]).toEqual([5, 'time']);
    // An infinite time is no time either: taken, it would refuse every later row, or drop itself.
    for (const t of [Infinity, -Infinity]) {
      const e = thrown(() => b.add(6, t, 1, 1, 1, 1, 1, String(t))) as DataFormatError;
      expect(e.message).toBe(
        `rows.csv:6: field "time": "${t}" is not a date or timestamp (${TIME_RULE})`,
      );
    }
  });

  it('keeps the rows from `from` (inclusive) to `to` (exclusive), each with its interval (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 150 }),
        fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
        (raw, from, to, intervalMs) => {
          const times = [...raw].sort((a, b) => a - b);
          const b = new BarBuilder({ ...opts, from, to, intervalMs });
          const out: Bar[] = [];
          expect(b.lastTime).toBe(-Infinity);
          times.forEach((t, i) => {
            b.add(i + 2, t, 1, 2, 0.5, 1.5, 3, String(t));
            // The last row's time, kept or not (the CSV fast path compares with it).
            expect(b.lastTime).toBe(t);
            out.push(...(b.take() ?? []));
          });
          out.push(...allBars(b));
          // The interval: as given, else the smallest gap among the first 64 rows (a day when
          // there is only one row).
          const probe = times.slice(0, 64);
          const gaps = probe.slice(1).map((t, i) => t - probe[i]!);
          const interval = intervalMs ?? (gaps.length > 0 ? Math.min(...gaps) : 86_400_000);
          const kept = times.filter(
            (t) => (from === undefined || t >= from) && (to === undefined || t < to),
          );
          expect(out).toEqual(
            kept.map((t) => ({
              instrumentId: 'X',
              openTime: t,
              closeTime: t + interval,
              open: 1,
              high: 2,
              low: 0.5,
              close: 1.5,
              volume: 3,
            })),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hands bars over in batches of 4,096 and the rest at the end; no rows at all is DATA_EMPTY', () => {
    const b = new BarBuilder({ ...opts, intervalMs: 1 });
    const sizes: number[] = [];
    for (let i = 0; i < 4096 * 2 + 5; i++) {
      b.add(i + 2, i, 1, 1, 1, 1, 1, String(i));
      const out = b.take();
      if (out) sizes.push(out.length);
    }
    sizes.push(b.finish().length);
    expect(sizes).toEqual([4096, 4096, 5]);
    // Rows all outside from/to are rows: an empty result, not an empty file.
    const outside = new BarBuilder({ ...opts, from: 10_000 });
    outside.add(2, 1, 1, 1, 1, 1, 1, '1');
    expect(outside.finish()).toEqual([]);
    expect(thrown(() => new BarBuilder(opts).finish())).toMatchObject({
      code: 'DATA_EMPTY',
      message: 'rows.csv: no rows',
    });
  });
});

describe('TradeBuilder', () => {
  const side = fc.constantFrom('buy', 'BUY', 'sell', 'SELL', 'Buy', 'b', '', 'none');
  const SIDES: Record<string, AggressorSide> = {
    buy: 'BUY',
    BUY: 'BUY',
    sell: 'SELL',
    SELL: 'SELL',
  };
  const aggressorOf = (s: string): AggressorSide => SIDES[s] ?? 'NONE';
  // Mostly good values, so that most files reach their end; now and then a bad one.
  const num = fc.oneof(
    { arbitrary: fc.double({ min: 1e-9, max: 100, noNaN: true }), weight: 12 },
    { arbitrary: fc.double({ min: -10, max: 0, noNaN: true }), weight: 1 },
    { arbitrary: fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e-9), weight: 1 },
  );
  const step = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 5 }), weight: 20 },
    { arbitrary: fc.integer({ min: -3, max: -1 }), weight: 1 },
  );

  it('keeps a trade exactly when its time is not before the last and price and size are positive finite (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(step, num, num, side), { maxLength: 40 }),
        fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        (rows, from, to) => {
          const b = new TradeBuilder({ ...opts, from, to });
          const out: TradeTick[] = [];
          let ts = 0;
          let last = -Infinity;
          for (const [i, [dt, price, size, s]] of rows.entries()) {
            ts += dt;
            const e = thrown(() => b.add(i + 2, ts, `t${i}`, s, price, size, String(ts)));
            const want =
              ts < last
                ? ['timestamp', `${ts} is before the previous trade`]
                : !(price > 0 && Number.isFinite(price))
                  ? ['price', 'is not a positive number']
                  : !(size > 0 && Number.isFinite(size))
                    ? ['amount', 'is not a positive number']
                    : null;
            if (want) {
              expect(e).toBeInstanceOf(DataFormatError);
              expect(e!.message).toBe(`rows.csv:${i + 2}: field "${want[0]}": ${want[1]}`);
              return; // a reader stops at its first bad row
            }
            expect(e).toBeNull();
            last = ts;
            if ((from === undefined || ts >= from) && (to === undefined || ts < to))
              out.push({
                instrumentId: 'X',
                ts,
                tradeId: `t${i}`,
                price,
                size,
                aggressor: aggressorOf(s),
              });
            expect(b.lastTs).toBe(ts);
          }
          if (rows.length === 0) {
            expect(thrown(() => b.finish())).toMatchObject({
              code: 'DATA_EMPTY',
              message: 'rows.csv: no rows',
            });
            return;
          }
          const got: TradeTick[] = [];
          for (let t = b.take(); t; t = b.take()) got.push(...t);
          expect([...got, ...b.finish()]).toEqual(out);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a time that is not a number, quoting its text', () => {
    const b = new TradeBuilder(opts);
    expect(thrown(() => b.add(7, NaN, '1', 'buy', 1, 1, 'soon'))!.message).toBe(
      `rows.csv:7: field "timestamp": "soon" is not a timestamp (${TIME_RULE})`,
    );
    expect(thrown(() => b.add(8, Infinity, '1', 'buy', 1, 1, 'x'))).toBeInstanceOf(DataFormatError);
  });

  it('hands trades over in batches of 4,096', () => {
    const b = new TradeBuilder(opts);
    const sizes: number[] = [];
    for (let i = 0; i < 4097; i++) {
      b.add(i + 2, i, String(i), 'buy', 1, 1, String(i));
      const out = b.take();
      if (out) sizes.push(out.length);
    }
    sizes.push(b.finish().length);
    expect(sizes).toEqual([4096, 1]);
  });
});

describe('parseTime', () => {
  it('reads a date as midnight UTC, and refuses a month or day out of range, or one its month has not (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        (y, m, d) => {
          const text = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
          // The month's days counted independently: 28-31, February's by the leap-year rule.
          const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
          const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
          const valid = m >= 1 && m <= 12 && d >= 1 && d <= days;
          expect(parseTime(text)).toBe(valid ? Date.UTC(y, m - 1, d) : NaN);
          // The same day in a date-time: refused alike.
          const at = parseTime(`${text}T12:00Z`);
          expect(at).toBe(valid ? Date.UTC(y, m - 1, d, 12) : NaN);
        },
      ),
    );
  });

  it('refuses a date whose month or day is not two digits, though Number() would read it', () => {
    // `+'+1'` and `+' 1'` are 1: only the date's own shape keeps them out.
    for (const text of ['2020-+1-01', '2020-01- 1', '2020-01-+1', '2020- 1-01', '2020-1.-01'])
      expect([text, parseTime(text)]).toEqual([text, NaN]);
    expect(parseTime('2020-01-01 12:00')).toBe(Date.UTC(2020, 0, 1, 12));
    expect(parseTime('2020-01- 1T12:00Z')).toBeNaN();
  });

  it('reads up to 10 digits as epoch seconds, more as milliseconds (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.boolean(), (n, pad) => {
        const digits = n.toString();
        const text = pad && digits.length < 10 ? digits.padStart(10, '0') : digits;
        expect(parseTime(text)).toBe(text.length <= 10 ? Number(n) * 1000 : Number(n));
      }),
    );
  });

  it('reads a fraction of epoch seconds as whole milliseconds, and one of milliseconds down (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.stringMatching(/^[0-9]{1,6}$/),
        (n, fraction) => {
          const digits = n.toString();
          const text = `${digits}.${fraction}`;
          // Seconds: the fraction's first three digits are milliseconds (the rest dropped).
          const ms = BigInt(fraction.slice(0, 3).padEnd(3, '0'));
          const want = digits.length <= 10 ? Number(n * 1000n + ms) : Number(n);
          expect(parseTime(text)).toBe(want);
        },
      ),
      {
        examples: [
          [1577836800n, '5'],
          [1577836800n, '123456'],
          [1577836800123n, '9'],
        ],
      },
    );
  });

  it('reads an ISO-8601 date-time, in UTC when it has no zone, with T or a space', () => {
    const at = Date.UTC(2020, 0, 2, 3, 4, 5);
    expect(parseTime('2020-01-02T03:04:05')).toBe(at);
    expect(parseTime('2020-01-02 03:04:05')).toBe(at);
    expect(parseTime('2020-01-02T03:04:05Z')).toBe(at);
    expect(parseTime('2020-01-02T03:04')).toBe(at - 5000);
    expect(parseTime('2020-01-02T05:04:05+02:00')).toBe(at);
    expect(parseTime('2020-01-02T01:04:05-0200')).toBe(at);
    expect(parseTime('2020-01-02 05:04:05+02:00')).toBe(at);
    for (const bad of [
      '',
      'x',
      '2020-1-02T03:04',
      '2020-01-02X03:04',
      'T2020-01-02T03:04',
      '1e9',
      '-5',
      '12a',
    ])
      expect(parseTime(bad)).toBeNaN();
  });
});

describe('BarBuilder, more edges', () => {
  it('accepts finite values whose sum overflows (each is a number)', () => {
    const b = new BarBuilder({ ...opts, intervalMs: 1 });
    b.add(2, 1000, 1.5e308, 1.6e308, 1.5e308, 1.5e308, 1e308, '1000');
    expect(b.finish().map((x) => x.high)).toEqual([1.6e308]);
  });

  it('infers the interval from the first 64 rows only', () => {
    // 64 rows 10 ms apart, then a 65th only 1 ms after the 64th.
    const b = new BarBuilder(opts);
    const times = [...Array.from({ length: 64 }, (_, i) => i * 10), 631];
    times.forEach((t, i) => b.add(i + 2, t, 1, 1, 1, 1, 1, String(t)));
    expect(new Set(b.finish().map((x) => x.closeTime - x.openTime))).toEqual(new Set([10]));
  });
});

describe('DataFormatError', () => {
  it('carries the code DATA_FORMAT, its name, and the file, line and field', () => {
    const e = new DataFormatError('orcl.txt', 17, 'close', '"abc" is not a number');
    expect([e.code, e.name, e.file, e.line, e.field, e.message]).toEqual([
      'DATA_FORMAT',
      'DataFormatError',
      'orcl.txt',
      17,
      'close',
      'orcl.txt:17: field "close": "abc" is not a number',
    ]);
  });
});
