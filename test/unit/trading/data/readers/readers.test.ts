import fc from 'fast-check';
import path from 'node:path';
import { readCsvBars } from '../../../../../src/trading/data/readers/csv-bars.js';
import { readCsvTrades } from '../../../../../src/trading/data/readers/csv-trades.js';
import { readJsonBars } from '../../../../../src/trading/data/readers/json-bars.js';
import { BarAggregator } from '../../../../../src/trading/data/bar-aggregator.js';
import type { Bar, TradeTick } from '../../../../../src/trading/data/market-data.js';
import {
  detectFormat,
  openBars,
  openTrades,
} from '../../../../../src/trading/venues/replay/open-data.js';
import { DATA } from '../../../../support/run-cli.js';
import { collect as all } from '../../../../support/collect.js';
import { bytesOf } from '../../../../support/chunks.js';

async function* chunked(
  text: string,
  sizes: number[],
  bytes = false,
): AsyncGenerator<string | Uint8Array> {
  let i = 0;
  let k = 0;
  while (i < text.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    const part = text.slice(i, i + n);
    yield bytes ? new TextEncoder().encode(part) : part;
    i += n;
  }
}

const opts = { source: 'x.csv', instrumentId: 'X' };

describe('shared data files', () => {
  it.each([
    ['backtrader/orcl-1995-2014.txt', 5036, 'bars'],
    ['backtrader/2006-day-001.txt', 255, 'bars'],
    ['freqtrade/UNITTEST_BTC-1m.json', 13681, 'bars'],
    ['freqtrade/XRP_ETH-trades.json.gz', 12477, 'trades'],
    ['freqtrade/public_trades_list.csv', 1000, 'trades'],
  ])('%s holds %i %s', async (file, rows, kind) => {
    const f = path.join(DATA, file);
    expect((await detectFormat(f)).kind).toBe(kind);
    const items =
      kind === 'bars'
        ? await all(openBars(f, { instrumentId: 'X' }))
        : await all(openTrades(f, { instrumentId: 'X' }));
    expect(items).toHaveLength(rows);
  });

  it('reads ORCL exactly: first and last rows, daily interval', async () => {
    const bars = await all(
      openBars(path.join(DATA, 'backtrader/orcl-1995-2014.txt'), { instrumentId: 'ORCL' }),
    );
    expect(bars[0]).toEqual({
      instrumentId: 'ORCL',
      openTime: Date.UTC(1995, 0, 3),
      closeTime: Date.UTC(1995, 0, 4),
      open: 2.179012,
      high: 2.191358,
      low: 2.117284,
      close: 2.117284,
      volume: 36301200,
    });
    expect(bars.at(-1)!.openTime).toBe(Date.UTC(2014, 11, 31));
  });

  it('reads the gzipped 1h futures candles with the interval from the file name', async () => {
    const bars = await all(
      openBars(path.join(DATA, 'freqtrade/XRP_USDT_USDT-1h-futures.json.gz'), {
        instrumentId: 'XRP/USDT',
      }),
    );
    expect(bars[0]!.closeTime - bars[0]!.openTime).toBe(3_600_000);
    expect(bars[0]!.open).toBe(1.0801);
  });

  it('applies --from/--to while streaming', async () => {
    const from = Date.UTC(2000, 0, 1);
    const to = Date.UTC(2001, 0, 1);
    const bars = await all(
      openBars(path.join(DATA, 'backtrader/orcl-1995-2014.txt'), { instrumentId: 'O', from, to }),
    );
    expect(bars.length).toBeGreaterThan(240);
    expect(bars.every((b) => b.openTime >= from && b.openTime < to)).toBe(true);
  });
});

describe('parsers', () => {
  const csv =
    'timestamp,open,high,low,close,volume\n' +
    Array.from(
      { length: 300 },
      (_, i) =>
        `${1_600_000_000_000 + i * 60_000},${100 + i / 100},${101 + i / 100},${99.5 + i / 100},${100.25 + i / 1000},${i}.5`,
    ).join('\n') +
    '\n';

  it('gives identical bars for any chunking, as text or bytes (fast and general paths agree)', async () => {
    const whole = await all(readCsvBars(chunked(csv, [csv.length]), opts));
    expect(whole).toHaveLength(300);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        async (sizes, bytes) => {
          expect(await all(readCsvBars(chunked(csv, sizes, bytes), opts))).toEqual(whole);
        },
      ),
      { numRuns: 60 },
    );
    const json = `[${whole.map((b) => `[${b.openTime},${b.open},${b.high},${b.low},${b.close},${b.volume}]`).join(',')}]`;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 10 }),
        async (sizes) => {
          expect(
            await all(readJsonBars(chunked(json, sizes) as AsyncIterable<string>, opts)),
          ).toEqual(whole);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('hands a big chunk over in batches of at most 4,096 rows, in order (CSV and JSON)', async () => {
    // One 10,000-row chunk (a 1 MB read holds ~20k rows): a batch kept until the chunk's end
    // outlives the young generation, which quadrupled the reader's CPU.
    const rows = 10_000;
    const bars =
      'timestamp,open,high,low,close,volume\n' +
      Array.from({ length: rows }, (_, i) => `${1_600_000_000_000 + i * 60_000},1,2,0.5,1.5,3`)
        .join('\n')
        .concat('\n');
    const trades =
      'timestamp,id,side,price,amount\n' +
      Array.from({ length: rows }, (_, i) => `${1_600_000_000_000 + i},${i},buy,1.5,2`)
        .join('\n')
        .concat('\n');
    const json = `[${Array.from({ length: rows }, (_, i) => `[${1_600_000_000_000 + i * 60_000},1,2,0.5,1.5,3]`).join(',')}]`;
    for (const batches of [
      await batchesOf(readCsvBars(chunked(bars, [bars.length], true), opts)),
      await batchesOf(readJsonBars(chunked(json, [json.length]) as AsyncIterable<string>, opts)),
      await batchesOf(readCsvBars(chunked(bars, [bars.length]), opts)),
      await batchesOf(
        readCsvTrades(chunked(trades, [trades.length]) as AsyncIterable<string>, opts),
      ),
      await batchesOf(readCsvTrades(chunked(trades, [trades.length], true), opts)),
    ]) {
      expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(4096);
      const times = batches.flat().map((x) => ('openTime' in x ? x.openTime : x.ts));
      expect(times).toHaveLength(rows);
      expect(times.every((t, i) => i === 0 || t > times[i - 1]!)).toBe(true);
    }
  });

  it.each([
    [
      'timestamp,open,high,low,close,volume\n1,2,3,1,abc,5\n',
      /x\.csv:2: field "close": is not a number/,
    ],
    [
      'timestamp,open,high,low,close,volume\n1000,2,1,3,2,5\n',
      /x\.csv:2: field "high": 1 is below low 3/,
    ],
    [
      'timestamp,open,high,low,close,volume\n2000,2,3,1,2,5\n1000,2,3,1,2,5\n',
      /x\.csv:3: field "time"/,
    ],
    [
      'timestamp,open,high,low,volume\n1,2,3,1,5\n',
      /x\.csv:1: field "close": header has no close column/,
    ],
    ['timestamp,open,high,low,close,volume\n1,2,3\n', /x\.csv:2: field "row"/],
    ['timestamp,open,high,low,close,volume\n', /x\.csv: no rows/],
  ])('reports a malformed file with file, line and field: %j', async (text, message) => {
    await expect(all(readCsvBars(chunked(text, [7]), opts))).rejects.toThrow(message);
  });

  it('reads trades CSV with sides and ids', async () => {
    const text =
      ',timestamp,id,type,side,price,amount,cost,date\n0,1675329600138,1206419187,,buy,1666.8,26.062,43440.1416,x\n';
    const t = await all(readCsvTrades(chunked(text, [5]) as AsyncIterable<string>, opts));
    expect(t).toEqual([
      {
        instrumentId: 'X',
        ts: 1675329600138,
        tradeId: '1206419187',
        price: 1666.8,
        size: 26.062,
        aggressor: 'BUY',
      },
    ]);
  });
});

describe('readCsvTrades from bytes', () => {
  // The fast path reads epoch times, plain decimals, numeric ids and sides straight from the
  // bytes; text chunks take the general parser (split, parseTime, Number). Both must give the
  // same trades and the same error, whatever the rows and wherever the chunks are cut.
  const field = {
    // 'T': the next of increasing epoch milliseconds (most rows), else a time to test.
    time: fc.oneof(
      { arbitrary: fc.constant('T'), weight: 6 },
      fc.integer({ min: 1_577_836_800_000, max: 1_577_836_900_000 }).map(String),
      fc.constantFrom(
        '1577836800',
        '0001577836800052',
        '15778368000521234',
        '1577836800.5',
        '2020-01-01',
        '2020-01-01T00:00:00Z',
        '',
        ' 1577836800052',
        'x',
        '9',
      ),
    ),
    number: fc.oneof(
      {
        arbitrary: fc.integer({ min: 1, max: 10 ** 9 }).map((n) => (n / 1000).toFixed(3)),
        weight: 6,
      },
      fc.constantFrom(
        '100.02',
        '.5',
        '5.',
        '-1',
        '-0',
        '0',
        '',
        '1e3',
        ' 2',
        '123456789012345',
        '1234567890123456',
        '0.000000000000001',
        '00012.5',
        '+3',
        'Infinity',
        '1.2.3',
        '-',
        '0x10',
        // Exponents: the fast path takes them while the power of ten stays within 22.
        '1.5e-7',
        '2E+3',
        '25e-1',
        '5e22',
        '5e23',
        '1.5e-21',
        '1.5e-22',
        '1e-0',
        '1e',
        '1e-',
        'e3',
        '1e3.5',
        '1_0',
        '0b1',
        '0o7',
        'NaN',
      ),
    ),
    id: fc.constantFrom(
      '1',
      '0',
      '007',
      '123456789012345',
      '1234567890123456',
      'abc',
      '',
      'é',
      '12a',
    ),
    side: fc.constantFrom('buy', 'sell', 'BUY', 'SELL', 'Buy', '', 'sells', 'é'),
    other: fc.constantFrom('', 'x', '2023-02-02 09:20:00.138000+00:00'),
  };
  const headers = [
    ['timestamp', 'id', 'side', 'price', 'amount'],
    ['', 'timestamp', 'id', 'type', 'side', 'price', 'amount', 'cost', 'date'],
    ['time', 'price', 'size'],
    ['date', 'qty', 'price', 'side'],
  ];
  const kindOf = (name: string): keyof typeof field =>
    ['timestamp', 'time', 'date'].includes(name)
      ? 'time'
      : ['price', 'amount', 'size', 'qty'].includes(name)
        ? 'number'
        : name === 'id' || name === 'side'
          ? name
          : 'other';
  const file = fc
    .constantFrom(...headers)
    .chain((names) =>
      fc.tuple(
        fc.constant(names.join(',')),
        fc.array(
          fc.tuple(
            fc.tuple(...names.map((n) => field[kindOf(n)])),
            fc.integer({ min: -1, max: 1 }),
            fc.boolean(),
          ),
          { maxLength: 12 },
        ),
        fc.constantFrom('', '\n', '\r\n', '\n\n'),
      ),
    )
    .map(
      ([header, rows, end]) =>
        [
          header,
          ...rows.map(([cells, extra, cr], i) => {
            const filled = cells.map((c) => (c === 'T' ? String(1_577_836_800_000 + i * 7) : c));
            const row = extra < 0 ? filled.slice(0, -1) : extra > 0 ? [...filled, 'x'] : filled;
            return row.join(',') + (cr ? '\r' : '');
          }),
        ].join('\n') + end,
    );
  const outcome = async (batches: AsyncIterable<TradeTick[]>) => {
    try {
      return { trades: await all(batches) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  it('gives what the general parser gives, errors included (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        file,
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 5 }),
        async (text, sizes) => {
          const general = await outcome(readCsvTrades(chunked(text, [text.length]), opts));
          expect(await outcome(readCsvTrades(bytesOf(text, sizes), opts))).toEqual(general);
          expect(await outcome(readCsvTrades(bytesOf(text, [text.length * 2]), opts))).toEqual(
            general,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('strips a byte-order mark at the start of the bytes only', async () => {
    const text = '\ufefftimestamp,id,side,price,amount\n1000,\ufeff7,buy,1.5,2\n';
    const [t] = await all(readCsvTrades(bytesOf(text, [2]), opts));
    expect(t).toEqual({
      instrumentId: 'X',
      ts: 1_000_000,
      tradeId: '\ufeff7',
      price: 1.5,
      size: 2,
      aggressor: 'BUY',
    });
  });
});

describe('BarAggregator', () => {
  it('conserves volume and bounds OHLC by the trades of each interval (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 5000 }),
            fc.integer({ min: 1, max: 1000 }),
            fc.integer({ min: 1, max: 100 }),
          ),
          { minLength: 1, maxLength: 200 },
        ),
        (raw) => {
          let ts = 0;
          const ticks: TradeTick[] = raw.map(([dt, p, s], i) => ({
            instrumentId: 'X',
            ts: (ts += dt),
            tradeId: String(i),
            price: p,
            size: s,
            aggressor: 'NONE',
          }));
          const bars: Bar[] = [];
          const agg = new BarAggregator(1000, (b) => bars.push(b));
          ticks.forEach((t) => agg.push(t));
          agg.flush();
          expect(bars.reduce((a, b) => a + b.volume, 0)).toBe(
            ticks.reduce((a, t) => a + t.size, 0),
          );
          for (const b of bars) {
            const inside = ticks.filter((t) => t.ts >= b.openTime && t.ts < b.closeTime);
            expect(inside.length).toBeGreaterThan(0);
            expect(b.open).toBe(inside[0]!.price);
            expect(b.close).toBe(inside.at(-1)!.price);
            expect(b.high).toBe(Math.max(...inside.map((t) => t.price)));
            expect(b.low).toBe(Math.min(...inside.map((t) => t.price)));
            expect(b.openTime % 1000).toBe(0);
          }
        },
      ),
    );
  });
});

async function batchesOf<T>(batches: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const b of batches) out.push(b);
  return out;
}
