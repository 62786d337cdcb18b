import fc from 'fast-check';
import { closeAdjuster } from '../../../../../src/trading/data/readers/adjust-close.js';
import { readCsvBars } from '../../../../../src/trading/data/readers/csv-bars.js';
import { readCsvTrades } from '../../../../../src/trading/data/readers/csv-trades.js';
import type { Bar } from '../../../../../src/trading/data/market-data.js';
import { bytesOf, textOf } from '../../../../support/chunks.js';
import { hot } from '../../../../support/hot-expect.js';
import { TIME_FORMS, TIME_RULE } from '../../../../support/time-forms.js';

// readCsvBars over generated files, against a model written from its documented rules: the
// header's names (any order, any case, blanks and one pair of quotes around a name, a byte-order
// mark; volume optional; the four spellings of Adj Close), line endings (\n, \r\n, \r\r\n, a last
// line with none), blank lines, rows with too few or extra fields, every time form (epoch seconds
// and milliseconds by their digits, a fraction, a date, ISO, a sign or a leading zero: the
// forms of test/support/time-forms.ts, which the JSON readers' model reads too), number
// forms (plain, exponent, blanks around; empty or blank is no number), the errors' line, field
// and text, and batches (none empty, none over 4,096). The rows are cut into chunks anywhere,
// as bytes and as text: the byte-level fast path and the general parser must give the model's
// bars and errors alike.

const SOURCE = 'm.csv';
const INTERVAL = 60_000;
const TICK = '0.01';

type Col = 'time' | 'open' | 'high' | 'low' | 'close' | 'volume' | 'adj';
const NAMES: Record<Col, readonly string[]> = {
  time: ['timestamp', 'time', 'date', 'datetime', 'open_time', 'opentime'],
  open: ['open'],
  high: ['high'],
  low: ['low'],
  close: ['close'],
  volume: ['volume', 'vol'],
  adj: ['adj close', 'adj_close', 'adjclose', 'adjusted close'],
};
const EXTRA = ['note', 'symbol', ''];

/** One header cell: a column's name as written, and whether the reader must know it. */
interface HeaderCell {
  readonly col: Col | null;
  readonly text: string;
  readonly known: boolean;
}

const look = fc.record({
  kase: fc.constantFrom('lower', 'upper', 'title'),
  pad: fc.constantFrom('', ' ', '  '),
  quoted: fc.boolean(),
  // A quote inside a name, or two pairs around it: not that name.
  broken: fc.oneof(
    { arbitrary: fc.constant('none'), weight: 40 },
    fc.constantFrom('inner', 'double'),
  ),
});

const headerCell = (col: Col | null) =>
  fc.tuple(fc.constantFrom(...(col ? NAMES[col] : EXTRA)), look).map(([name, l]): HeaderCell => {
    let t =
      l.kase === 'upper'
        ? name.toUpperCase()
        : l.kase === 'title'
          ? name.replace(/(^|[ _])([a-z])/g, (_, a: string, b: string) => a + b.toUpperCase())
          : name;
    if (l.broken === 'inner') t = `${t.slice(0, 1)}"${t.slice(1)}`;
    if (l.broken === 'double') t = `""${t}""`;
    if (l.quoted) t = `"${t}"`;
    return { col, text: `${l.pad}${t}${l.pad}`, known: col !== null && l.broken === 'none' };
  });

const header = fc
  .tuple(
    fc.shuffledSubarray(['time', 'open', 'high', 'low', 'close'] as Col[], {
      minLength: 5,
      maxLength: 5,
    }),
    fc.boolean(),
    fc.boolean(),
    fc.integer({ min: 0, max: 2 }),
    fc.nat(),
  )
  .chain(([required, volume, adj, extras, at]) => {
    const cols: (Col | null)[] = [...required];
    if (volume) cols.push('volume');
    if (adj) cols.push('adj');
    for (let i = 0; i < extras; i++) cols.push(null);
    // The optional columns anywhere, the first column included.
    const order = cols.map((_, i) => (i + at) % cols.length);
    return fc.tuple(...order.map((i) => headerCell(cols[i]!)));
  });

const timeForm = fc.oneof(
  { arbitrary: fc.constantFrom('ms', 'seconds'), weight: 30 },
  { arbitrary: fc.constantFrom('fraction', 'short', 'paddedMs', 'iso'), weight: 4 },
  fc.constantFrom(...Object.keys(TIME_FORMS)),
);

/**
 * A number cell's text from an exact value m / 10^d, and what it must read as: the grammar of
 * docs/decisions/data-readers.md (an optional leading minus, digits with an optional point, an
 * optional exponent) is the value; any other spelling JavaScript's Number takes is no number.
 */
const NUMBER_FORMS: Record<string, (m: number, d: number) => [string, number]> = {
  plain: (m, d) => [decimal(m, d), m / 10 ** d],
  negative: (m, d) => [`-${decimal(m, d)}`, -(m / 10 ** d)],
  exponent: (m, d) => [`${m}e-${d}`, m / 10 ** d],
  upperExponent: (m, d) => [`${m}E-0${d}`, m / 10 ** d],
  positiveExponent: (m, d) => [`${decimal(m, d + 2)}e+2`, m / 10 ** d],
  // Past the fast path's reach (a mantissa over 15 digits, a power of ten over 22): the same.
  longMantissa: (m, d) => [`${decimal(m, d)}${d === 0 ? '.' : ''}0000000000000000`, m / 10 ** d],
  farExponent: (m, d) => [`${m}${'0'.repeat(25)}e-${d + 25}`, m / 10 ** d],
  leadingPoint: (m, d) => [decimal(m, d).replace(/^0\./, '.'), m / 10 ** d],
  trailingPoint: (m, d) => [d === 0 ? `${m}.` : decimal(m, d), m / 10 ** d],
  spaced: (m, d) => [` ${decimal(m, d)} `, NaN],
  plus: (m, d) => [`+${decimal(m, d)}`, NaN],
  hex: (m) => [`0x${m.toString(16)}`, NaN],
  octal: (m) => [`0o${m.toString(8)}`, NaN],
  binary: (m) => [`0b${m.toString(2)}`, NaN],
  underscore: (m) => [`${m}_0`, NaN],
  infinity: () => ['Infinity', NaN],
  minusInfinity: () => ['-Infinity', NaN],
  nan: () => ['NaN', NaN],
  twoPoints: (m) => [`${m}.1.2`, NaN],
  bareExponent: (m) => [`${m}e`, NaN],
  signedBareExponent: (m) => [`${m}e-`, NaN],
  exponentOnly: () => ['e5', NaN],
  point: () => ['.', NaN],
  minus: () => ['-', NaN],
  empty: () => ['', NaN],
  blank: () => [' ', NaN],
  text: () => ['abc', NaN],
};
const numberForm = fc.oneof(
  { arbitrary: fc.constant('plain'), weight: 60 },
  fc.constantFrom(...Object.keys(NUMBER_FORMS)),
);
/** The reader's rule for a number field's text, as its errors state it. */
const RULE =
  'wanted a plain decimal: digits with an optional point, leading minus and exponent, as -12.5 or 1.5e-7';

function decimal(m: number, d: number): string {
  if (d === 0) return String(m);
  const s = String(m).padStart(d + 1, '0');
  return `${s.slice(0, -d)}.${s.slice(-d)}`;
}

const mantissa = fc.integer({ min: 0, max: 1_000_000 });
const row = fc.record({
  kind: fc.oneof(
    { arbitrary: fc.constant('normal' as const), weight: 12 },
    fc.constantFrom('blank' as const, 'short' as const, 'long' as const),
  ),
  step: fc.constantFrom(60, 3600, 86_400, 172_800),
  k: fc.integer({ min: 0, max: 999 }),
  time: timeForm,
  d: fc.integer({ min: 0, max: 4 }),
  m: fc.record({
    open: mantissa,
    low: mantissa,
    spread: mantissa,
    close: mantissa,
    volume: mantissa,
  }),
  adj: fc.integer({ min: 0, max: 1_000_000 }),
  swap: fc.oneof({ arbitrary: fc.constant(false), weight: 30 }, fc.constant(true)),
  forms: fc.record({
    open: numberForm,
    high: numberForm,
    low: numberForm,
    close: numberForm,
    volume: numberForm,
    adj: numberForm,
  }),
  cut: fc.nat(),
});

const file = fc.record({
  header,
  rows: fc.array(row, { maxLength: 12 }),
  start: fc.integer({ min: 1_000_000_000, max: 1_900_000_000 }),
  eol: fc.constantFrom('\n', '\r\n', '\r\r\n'),
  lastEol: fc.boolean(),
  bom: fc.boolean(),
  adjust: fc.boolean(),
});
type File = typeof file extends fc.Arbitrary<infer F> ? F : never;

type Outcome = { bars: Bar[] } | { error: string };

/** The file's text and what reading it must give, from the rules alone. */
function model(f: File): { text: string; want: Outcome } {
  const fail = (line: number, field: string, problem: string): Outcome => ({
    error: `${SOURCE}:${line}: field "${field}": ${problem}`,
  });
  const headerText = f.header.map((c) => c.text).join(',');
  const lines = [headerText];
  const at = (col: Col) => f.header.findIndex((c) => c.col === col && c.known);
  const idx = {
    time: at('time'),
    open: at('open'),
    high: at('high'),
    low: at('low'),
    close: at('close'),
    volume: at('volume'),
    adj: f.adjust ? at('adj') : -1,
  };
  const required: [string, number][] = [
    ['time', idx.time],
    ['open', idx.open],
    ['high', idx.high],
    ['low', idx.low],
    ['close', idx.close],
    ...(f.adjust ? [['adj close', idx.adj] as [string, number]] : []),
  ];
  const missing = required.filter(([, i]) => i < 0).map(([n]) => n);
  let want: Outcome | null =
    missing.length > 0
      ? fail(
          1,
          missing[0]!,
          `header has no ${missing.join(', ')} column (header: ${headerText.trim()})`,
        )
      : null;
  const width = Math.max(...Object.values(idx)) + 1;
  const adjust = closeAdjuster(TICK);
  const bars: Bar[] = [];
  let s = f.start;
  let last = -Infinity;
  let rows = 0;
  for (const r of f.rows) {
    const lineNo = lines.length + 1;
    if (r.kind === 'blank') {
      lines.push('');
      continue;
    }
    s += r.step;
    const [tText, tValue] = TIME_FORMS[r.time]!(s, r.k);
    let [lowM, highM] = [r.m.low, r.m.low + r.m.spread];
    if (r.swap) [lowM, highM] = [highM, lowM];
    const num = (col: 'open' | 'high' | 'low' | 'close' | 'volume' | 'adj', m: number) =>
      NUMBER_FORMS[r.forms[col]]!(m, r.d);
    const cells = {
      time: [tText, tValue] as [string, number],
      open: num('open', r.m.open),
      high: num('high', highM),
      low: num('low', lowM),
      close: num('close', r.m.close),
      volume: num('volume', r.m.volume),
      adj: num('adj', r.adj),
    };
    let texts = f.header.map((c) => (c.col ? cells[c.col][0] : 'e'));
    if (r.kind === 'short') texts = texts.slice(0, 1 + (r.cut % (width - 1 || 1)));
    if (r.kind === 'long') texts.push('x');
    const text = texts.join(',');
    lines.push(text);
    if (want || text === '') continue;
    if (texts.length < width) {
      want = fail(lineNo, 'row', `has ${texts.length} fields, the header has at least ${width}`);
      continue;
    }
    let [o, h, l, c] = [cells.open[1], cells.high[1], cells.low[1], cells.close[1]];
    let v = idx.volume >= 0 ? cells.volume[1] : 0;
    if (f.adjust) {
      const p = adjust(o, h, l, c, v, cells.adj[1]);
      if (p === null) {
        want = fail(lineNo, 'adj close', 'is not a positive number');
        continue;
      }
      [o, h, l, c, v] = p;
    }
    if (Number.isNaN(tValue)) {
      want = fail(
        lineNo,
        'time',
        `${JSON.stringify(tText)} is not a date or timestamp (${TIME_RULE})`,
      );
      continue;
    }
    if (tValue <= last) {
      want = fail(lineNo, 'time', `${tText} is not after the previous row`);
      continue;
    }
    last = tValue;
    const bad = (['open', 'high', 'low', 'close', 'volume'] as const).find(
      (_, i) => !Number.isFinite([o, h, l, c, v][i]),
    );
    if (bad) {
      // A text in the grammar can give no number once adjusted (a close of 0): no rule then.
      const [text, read] = cells[bad];
      want = fail(
        lineNo,
        bad,
        Number.isNaN(read)
          ? `is not a number: ${JSON.stringify(text)} (${RULE})`
          : 'is not a number',
      );
      continue;
    }
    if (h < l) {
      want = fail(lineNo, 'high', `${h} is below low ${l}`);
      continue;
    }
    rows++;
    bars.push({
      instrumentId: 'X',
      openTime: tValue,
      closeTime: tValue + INTERVAL,
      open: o,
      high: h,
      low: l,
      close: c,
      volume: v,
    });
  }
  if (!want && rows === 0) want = { error: `${SOURCE}: no rows` };
  const text = (f.bom ? '\ufeff' : '') + lines.join(f.eol) + (f.lastEol ? f.eol : '');
  return { text, want: want ?? { bars } };
}

/** What a reader gives: its rows, or its error; and each batch's size. */
async function read<T>(batches: AsyncIterable<T[]>): Promise<{ rows: T[]; sizes: number[] }> {
  const rows: T[] = [];
  const sizes: number[] = [];
  for await (const b of batches) {
    sizes.push(b.length);
    rows.push(...b);
  }
  return { rows, sizes };
}

async function outcome(chunks: AsyncIterable<Uint8Array | string>, adjust: boolean) {
  const opts = {
    source: SOURCE,
    instrumentId: 'X',
    intervalMs: INTERVAL,
    ...(adjust ? { adjustClose: { tick: TICK } } : {}),
  };
  try {
    const { rows, sizes } = await read(readCsvBars(chunks, opts));
    // A batch is never empty, nor over 4,096 bars.
    hot(sizes.filter((n) => n < 1 || n > 4096)).toEqual([]);
    return { bars: rows };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('readCsvBars against a model of its rules', () => {
  it('reads any generated file as the model does, fast path or general parser, any chunking (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        file,
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        async (f, sizes) => {
          const { text, want } = model(f);
          // `hot`: 400 runs of 3 comparisons; Jest still decides (and shows its diff) on a mismatch.
          hot(await outcome(bytesOf(text, [text.length * 2]), f.adjust)).toEqual(want);
          hot(await outcome(bytesOf(text, sizes), f.adjust)).toEqual(want);
          hot(await outcome(textOf(text, sizes), f.adjust)).toEqual(want);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('takes a time the fast path cannot as the general parser does, and quotes it in an error', async () => {
    const head = 'timestamp,open,high,low,close\n';
    const read1 = (rows: string) => outcome(bytesOf(head + rows, [1000]), false);
    // A leading zero makes 13 digits: milliseconds, as parseTime reads them.
    expect(await read1('0001577836800,1,2,1,1\n')).toEqual({
      bars: [expect.objectContaining({ openTime: 1_577_836_800 })],
    });
    expect(await read1('-1577836800,1,2,1,1\n')).toEqual({
      error: `m.csv:2: field "time": "-1577836800" is not a date or timestamp (${TIME_RULE})`,
    });
    expect(await read1('-0,1,2,1,1\n')).toEqual({
      error: `m.csv:2: field "time": "-0" is not a date or timestamp (${TIME_RULE})`,
    });
    expect(await read1('1577836800,1,2,1,1\n1577836800,1,2,1,1\n')).toEqual({
      error: 'm.csv:3: field "time": 1577836800 is not after the previous row',
    });
    expect(await read1('1577836800.25,1,2,1,1\n')).toEqual({
      bars: [expect.objectContaining({ openTime: 1_577_836_800_250 })],
    });
  });

  it('reads an empty or blank number field as no number, naming its field', async () => {
    const head = 'volume,timestamp,open,high,low,close\n';
    for (const [rows, field] of [
      [' ,1577836800,1,2,1,1\n', 'volume'],
      ['5,1577836800,,2,1,1\n', 'open'],
      ['5,1577836800,1,2,\t,1\n', 'low'],
    ] as const)
      expect(await outcome(bytesOf(head + rows, [1000]), false)).toEqual({
        error: `m.csv:2: field "${field}": is not a number: ${JSON.stringify(rows.split(',')[['volume', '', 'open', 'high', 'low'].indexOf(field)])} (${RULE})`,
      });
  });

  it('reads 10 digits as epoch seconds and 11 as milliseconds, on both paths', async () => {
    const text = (t: string) => `timestamp,open,high,low,close\n${t},1,2,1,1\n`;
    for (const [t, ms] of [
      ['9999999999', 9_999_999_999_000],
      ['10000000000', 10_000_000_000],
      ['09999999999', 9_999_999_999],
      ['0999999999', 999_999_999_000],
    ] as const) {
      const want = { bars: [expect.objectContaining({ openTime: ms })] };
      expect([t, await outcome(bytesOf(text(t), [1000]), false)]).toEqual([t, want]);
      expect([t, await outcome(textOf(text(t), [1000]), false)]).toEqual([t, want]);
    }
  });

  it('adjusts from an Adj Close in the first column, on both paths', async () => {
    const text =
      'Adj Close,Date,Open,High,Low,Close\n22.63,1995-01-03,100.16,105,94.69,96\n22.63,789177600,100.16,105,94.69,96\n';
    const want = [23.61, 24.75, 22.32, 22.63];
    for (const chunks of [bytesOf(text, [1000]), textOf(text, [1000])]) {
      const got = await outcome(chunks, true);
      expect(got.bars?.map((b) => [b.open, b.high, b.low, b.close]) ?? got).toEqual([want, want]);
    }
  });
});

describe('batches of the CSV readers', () => {
  // Chunks as long as a line, each cutting one: every line is the one joined across a boundary.
  it('hands a batch over once it is full however the chunks cut the lines (bars and trades)', async () => {
    const rows = 4096 * 2 + 3;
    const line = (i: number) => `${1_600_000_000_000 + i * 60_000},1,2,0.5,1.5,3\n`;
    const bars =
      'timestamp,open,high,low,close,volume\n' +
      Array.from({ length: rows }, (_, i) => line(i)).join('');
    const trades =
      'timestamp,price,amount\n' +
      Array.from({ length: rows }, (_, i) => `${1_600_000_000_000 + i * 60_000},1.5,2\n`).join('');
    const opts = { source: 'b.csv', instrumentId: 'X' };
    for (const [text, size] of [
      [bars, line(0).length],
      [bars, 7],
      [bars, 1],
    ] as const) {
      const { rows: got, sizes } = await read(readCsvBars(bytesOf(text, [size]), opts));
      expect([size, sizes]).toEqual([size, [4096, 4096, 3]]);
      expect(got.map((b) => b.openTime)).toEqual(
        Array.from({ length: rows }, (_, i) => 1_600_000_000_000 + i * 60_000),
      );
    }
    // No empty batch at the end: not after a last full batch, nor when from/to keep no row.
    const full = `${bars.split('\n').slice(0, 4097).join('\n')}\n`;
    expect((await read(readCsvBars(bytesOf(full, [5000]), opts))).sizes).toEqual([4096]);
    expect(
      (await read(readCsvBars(bytesOf(bars, [5000]), { ...opts, from: 2_000_000_000_000 }))).sizes,
    ).toEqual([]);
    for (const size of [`${1_600_000_000_000},1.5,2\n`.length, 5]) {
      const { rows: got, sizes } = await read(readCsvTrades(bytesOf(trades, [size]), opts));
      expect([size, sizes]).toEqual([size, [4096, 4096, 3]]);
      expect(got).toHaveLength(rows);
    }
  });
});
