import fc from 'fast-check';
import { parseNumericLine } from '../../../../../src/trading/data/readers/fast-fields.js';
import { jsonRows, type JsonRow } from '../../../../../src/trading/data/readers/json-rows.js';
import { readJsonTrades } from '../../../../../src/trading/data/readers/json-trades.js';
import { readCsvBars } from '../../../../../src/trading/data/readers/csv-bars.js';
import { readJsonBars } from '../../../../../src/trading/data/readers/json-bars.js';
import type { Bar, TradeTick } from '../../../../../src/trading/data/market-data.js';
import { collect } from '../../../../support/collect.js';
import { textOf as chunks } from '../../../../support/chunks.js';
import { JSON_NUMBER_FORMS, TIME_FORMS, TIME_RULE } from '../../../../support/time-forms.js';

async function outcome<T>(batches: AsyncIterable<T[]>): Promise<{ rows: T[] } | { error: string }> {
  try {
    return { rows: await collect(batches) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('jsonRows', () => {
  // Rows of numbers and strings (with brackets, quotes and escapes in them), spread over lines.
  const cell = fc.oneof(
    fc.integer().map(String),
    fc.constantFrom('"a]b"', '"[["', '"q\\"]"', '"\\\\"', '"x\\n"', 'null', 'true', '1.5e3'),
  );
  const row = fc.array(cell, { maxLength: 5 });
  const space = fc.constantFrom('', ' ', '\n', ' \n ', '\r\n');

  it('gives each row with its line and index, for any chunking (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(space, row, space), { maxLength: 12 }),
        space,
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }),
        async (rows, end, sizes) => {
          const parts = rows.map(([a, r, b]) => `${a}[${r.join(',')}]${b}`);
          const text = `${end}[${parts.join(',')}]${end}`;
          const want: JsonRow[] = [];
          rows.forEach(([a, r], i) => {
            // The row's line: the newlines before its opening bracket, plus one.
            const before = `${end}[${parts.slice(0, i).join(',')}${i > 0 ? ',' : ''}${a}`;
            want.push({
              values: JSON.parse(`[${r.join(',')}]`) as unknown[],
              line: before.split('\n').length,
              index: i + 1,
            });
          });
          expect(await outcome(jsonRows(chunks(text, sizes), 'f.json'))).toEqual({ rows: want });
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    ['[[1,2],[3,[4]]]', 'f.json:1: field "row": rows must be flat arrays'],
    ['[[1,2],\n[3,]]', 'f.json:2: field "row 2": is not valid JSON'],
    ['{"a":1}', 'f.json:1: field "file": is not a JSON array of rows'],
    ['\n\n7', 'f.json:3: field "file": is not a JSON array of rows'],
    ['', 'f.json:1: field "file": is not a JSON array of rows'],
    ['  \n', 'f.json:2: field "file": is not a JSON array of rows'],
    ['[[1,2],\n[3', 'f.json:2: field "file": ends in the middle of a row'],
    ['[[1,"2]]', 'f.json:1: field "file": ends in the middle of a row'],
    ['[[1,2]', 'f.json:1: field "file": ends in the middle of a row'],
    ['[[1],[2]] x', 'f.json:1: field "file": is not a JSON array of rows'],
  ])('refuses %j naming line and field', async (text, message) => {
    for (const sizes of [[text.length || 1], [1], [2, 3]])
      expect(await outcome(jsonRows(chunks(text, sizes), 'f.json'))).toEqual({ error: message });
  });

  it('accepts an empty array of rows as no rows', async () => {
    expect(await outcome(jsonRows(chunks(' [ ] ', [2]), 'f.json'))).toEqual({ rows: [] });
  });
});

describe('readJsonTrades', () => {
  it('reads ccxt-ordered rows: time, id, order, side, price, amount; numbers as text too', async () => {
    const text =
      '[[1600000000000,"a",null,"buy",1.5,2,3],\n[1600000000000,7,null,"sell","2.5","0.1",0],\n[1600000001000,"c",null,"x",3,4,12]]';
    expect(
      await outcome(readJsonTrades(chunks(text, [5]), { source: 't.json', instrumentId: 'X' })),
    ).toEqual({
      rows: [
        { instrumentId: 'X', ts: 1.6e12, tradeId: 'a', price: 1.5, size: 2, aggressor: 'BUY' },
        { instrumentId: 'X', ts: 1.6e12, tradeId: '7', price: 2.5, size: 0.1, aggressor: 'SELL' },
        {
          instrumentId: 'X',
          ts: 1.6e12 + 1000,
          tradeId: 'c',
          price: 3,
          size: 4,
          aggressor: 'NONE',
        },
      ],
    });
    for (const [bad, field] of [
      ['[[1000,"a",null,"buy","",2]]', 'price'],
      ['[[1000,"a",null,"buy",true,2]]', 'price'],
      ['[[1000,"a",null,"buy",1,""]]', 'amount'],
      ['[[1000,"a",null,"buy"," ",2]]', 'price'],
      ['[[1000,"a",null,"buy",1,"\\t"]]', 'amount'],
      ['[["",1,null,"buy",1,1]]', 'timestamp'],
      ['[[" ",1,null,"buy",1,1]]', 'timestamp'],
    ] as const)
      expect(
        await outcome(readJsonTrades(chunks(bad, [4]), { source: 't.json', instrumentId: 'X' })),
      ).toEqual({ error: expect.stringContaining(`t.json:1: field "${field}"`) });
  });
});

describe('parseNumericLine', () => {
  // A plain decimal: an optional minus, 1-15 digits in all, an optional point, an optional
  // exponent that keeps the power of ten within 22 (the fast path's reach).
  const plain = fc
    .tuple(
      fc.boolean(),
      fc.stringMatching(/^\d{1,8}$/),
      fc.option(fc.stringMatching(/^\d{0,7}$/)),
      fc.option(fc.stringMatching(/^[eE][+-]?(1[0-5]|0?\d)$/), { freq: 3 }),
    )
    .map(
      ([neg, int, frac, exp]) =>
        `${neg ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}${exp ?? ''}`,
    );

  it('reads each plain decimal as parseFloat does, and tells which are whole numbers as String writes them (property)', () => {
    fc.assert(
      fc.property(fc.array(plain, { minLength: 1, maxLength: 16 }), (fields) => {
        const bytes = new TextEncoder().encode(`xx${fields.join(',')}yy`);
        const out = new Float64Array(16);
        const whole = new Uint8Array(16);
        expect(parseNumericLine(bytes, 2, bytes.length - 2, out, whole)).toBe(fields.length);
        fields.forEach((f, i) => {
          expect(Object.is(out[i], parseFloat(f)) || out[i] === parseFloat(f)).toBe(true);
          // No sign, no point, no leading zero: the text String(n) gives back.
          expect([f, whole[i]]).toEqual([f, /^(0|[1-9][0-9]*)$/.test(f) ? 1 : 0]);
        });
      }),
      { examples: [[['0', '00', '-0', '05', '0.5', '10', '-1', '1.', '1e0', '5E+15', '1.5e-15']]] },
    );
  });

  it('sends anything else to the general parser (-1)', () => {
    const out = new Float64Array(4);
    const whole = new Uint8Array(4);
    const parse = (s: string) => {
      const b = new TextEncoder().encode(s);
      return parseNumericLine(b, 0, b.length, out, whole);
    };
    for (const s of [
      '',
      '1,,2',
      '1,',
      '-',
      '.',
      '1e',
      '1e-',
      '1e+',
      'e3',
      '1e3.5',
      '1e--3',
      '1e23',
      '1e-23',
      '1.5e-22',
      '0x10',
      'Infinity',
      '1_0',
      '+1',
      ' 1',
      '1 ',
      '1.2.3',
      '"1"',
      '1,2,3,4,5',
      '1234567890123456',
      '12345678.12345678',
      '--1',
      '1-',
    ])
      expect([s, parse(s)]).toEqual([s, -1]);
    expect(parse('123456789012345')).toBe(1);
    expect(out[0]).toBe(123456789012345);
    expect(parse('1234567.12345678,0.5')).toBe(2);
    expect([out[0], out[1]]).toEqual([1234567.12345678, 0.5]);
    expect(parse('1,2,3,4')).toBe(4);
    expect(parse('.5,5.')).toBe(2);
    expect([out[0], out[1], whole[0], whole[1]]).toEqual([0.5, 5, 0, 0]);
  });
});

describe('readCsvBars', () => {
  const opts = { source: 'b.csv', instrumentId: 'X' };
  it('names the missing columns of a header, the row with too few fields, and an empty file', async () => {
    const cases: [string, string][] = [
      [
        'date,open\n',
        'b.csv:1: field "high": header has no high, low, close column (header: date,open)',
      ],
      [
        'open,high,low,close\n',
        'b.csv:1: field "time": header has no time column (header: open,high,low,close)',
      ],
      ['', 'b.csv:1: field "header": the file is empty'],
      [
        'time,close,open,high,low\n1,2,3\n',
        'b.csv:2: field "row": has 3 fields, the header has at least 5',
      ],
      [
        'Time,Open,High,Low,Close,Vol\n1,2,3,1,2,x\n',
        'b.csv:2: field "volume": is not a number: "x" (wanted a plain decimal: digits with an optional point, leading minus and exponent, as -12.5 or 1.5e-7)',
      ],
    ];
    for (const [text, message] of cases)
      for (const sizes of [[text.length || 1], [3]])
        expect(await outcome(readCsvBars(chunks(text, sizes), opts))).toEqual({ error: message });
  });

  it('reads columns in any order, quoted names, no volume, CRLF, and every time form', async () => {
    const text =
      '"Date","Close","Low","High","Open"\r\n1995-01-03,2,1,3,1.5\r\n\r\n1995-01-04T00:00:00Z,2,1,3,1.5\r\n789264000,2,1,3,1.5\r\n789350400000,2,1,3,1.5\r\n';
    const bars = await collect(readCsvBars(chunks(text, [text.length]), opts));
    const day = 86_400_000;
    const t0 = Date.UTC(1995, 0, 3);
    expect(
      bars.map((b) => [
        b.openTime,
        b.closeTime - b.openTime,
        b.open,
        b.high,
        b.low,
        b.close,
        b.volume,
      ]),
    ).toEqual([0, 1, 2, 3].map((i) => [t0 + i * day, day, 1.5, 3, 1, 2, 0]));
  });
});

describe('readJsonBars', () => {
  it('reads numbers written as text as the numbers, and an empty text as no number', async () => {
    const opts = { source: 'c.json', instrumentId: 'X', intervalMs: 60_000 };
    const text =
      '[[1600000000000,"1.5","2.25","-1","1.75","10"],["1600000060",1.5,2.25,-1,1.75,10]]';
    const bars = await collect(readJsonBars(chunks(text, [7]), opts));
    expect(bars.map((b) => [b.openTime, b.open, b.high, b.low, b.close, b.volume])).toEqual([
      [1.6e12, 1.5, 2.25, -1, 1.75, 10],
      [1.6e12 + 60_000, 1.5, 2.25, -1, 1.75, 10],
    ]);
    expect(await outcome(readJsonBars(chunks('[[1000,1,2,1,1,""]]', [5]), opts))).toEqual({
      error:
        'c.json:1: field "volume": is not a number: "" (wanted a plain decimal: digits with an optional point, leading minus and exponent, as -12.5 or 1.5e-7)',
    });
  });

  it.each([' ', '\\t', ' \\n '])(
    'refuses blank text %j as a number, not reads it as 0',
    async (blank) => {
      const opts = { source: 'c.json', instrumentId: 'X', intervalMs: 60_000 };
      const text = `[[1000,1,2,1,"${blank}",5]]`;
      expect(await outcome(readJsonBars(chunks(text, [9]), opts))).toEqual({
        error: `c.json:1: field "close": is not a number: ${JSON.stringify(JSON.parse(`"${blank}"`))} (wanted a plain decimal: digits with an optional point, leading minus and exponent, as -12.5 or 1.5e-7)`,
      });
    },
  );
});

// The JSON readers against a model of their rules: freqtrade's row layouts (candles
// `[ms, open, high, low, close, volume]`, trades `[ms, id, order, side, price, amount, cost]`),
// each number as a JSON number or as text in the grammar, from (inclusive) and to (exclusive),
// times increasing (bars) or not decreasing (trades), any chunking; and batches: none empty,
// none over 4,096, even when from/to keep no row.
describe('the JSON readers against a model of their rules', () => {
  /** The rows a reader gives, each batch's size, or its error. */
  async function read<T>(batches: AsyncIterable<T[]>) {
    const rows: T[] = [];
    const sizes: number[] = [];
    try {
      for await (const b of batches) {
        sizes.push(b.length);
        rows.push(...b);
      }
    } catch (e) {
      return { error: (e as Error).message };
    }
    return { rows, sizes };
  }

  // A positive number up to 1,000 with up to 4 decimals, written as a number or as text.
  const amount = fc.integer({ min: 1, max: 10_000_000 }).map((n) => n / 10_000);
  const written = (x: number, asText: boolean) => (asText ? `"${x}"` : String(x));
  const t0 = 1_600_000_000_000;
  // 1 to 13 items, each with its time: t0 first, then each at least `minGap` ms after the last.
  const timed = <T>(minGap: number, item: fc.Arbitrary<T>) =>
    fc
      .array(fc.tuple(fc.integer({ min: minGap, max: 120_000 }), item), {
        minLength: 1,
        maxLength: 13,
      })
      .map((xs) => {
        let t = t0;
        return xs.map(([gap, x], i) => [i === 0 ? t : (t += gap), x] as const);
      });
  const window = fc.record({
    from: fc.option(fc.integer({ min: t0 - 10, max: t0 + 1_500_000 }), { nil: undefined }),
    to: fc.option(fc.integer({ min: t0 - 10, max: t0 + 1_500_000 }), { nil: undefined }),
  });
  const sizes = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 });
  const kept = (t: number, w: { from?: number; to?: number }) =>
    (w.from === undefined || t >= w.from) && (w.to === undefined || t < w.to);

  // The time of each row in a form of the CSV's rule (test/support/time-forms.ts), mostly
  // milliseconds: written as a JSON number when its text is one, or as text; what it means, and
  // the text an error quotes (a number as JavaScript writes it: 1600000000.050 is 1600000000.05).
  const timeForm = fc.oneof(
    { arbitrary: fc.constant('ms'), weight: 12 },
    fc.constantFrom(...Object.keys(TIME_FORMS)),
  );
  const timeCell = (t: number, form: string, asText: boolean) => {
    const [text, ms] = TIME_FORMS[form]!(Math.floor(t / 1000), t % 1000);
    const number = !asText && JSON_NUMBER_FORMS.has(form);
    const quoted = number ? (text === '-0' ? text : String(JSON.parse(text))) : text;
    return { cell: number ? text : JSON.stringify(text), ms, quoted };
  };

  /** What an error says of a row's time, or null when it is taken (bars increase, trades do not decrease). */
  const timeProblem = (
    time: { ms: number; quoted: string },
    last: number,
    kind: 'bars' | 'trades',
  ): string | null => {
    if (Number.isNaN(time.ms))
      return `${JSON.stringify(time.quoted)} is not ${kind === 'bars' ? 'a date or timestamp' : 'a timestamp'} (${TIME_RULE})`;
    if (kind === 'bars')
      return time.ms <= last ? `${time.quoted} is not after the previous row` : null;
    return time.ms < last ? `${time.quoted} is before the previous trade` : null;
  };

  it('reads freqtrade candles as the model does, each time by the CSV rule (property)', async () => {
    const candle = fc.tuple(amount, amount, amount, amount, amount, fc.nat({ max: 63 }), timeForm);
    await fc.assert(
      fc.asyncProperty(timed(1, candle), window, sizes, async (candles, w, cut) => {
        let want: { error: string } | null = null;
        let last = -Infinity;
        const bars: Bar[] = [];
        const lines = candles.map(([t, [o, a, b, c, v, text, form]], i) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          const time = timeCell(t, form, (text & 1) === 1);
          // Bit k of `text`: the k-th field (time first) written as text.
          const fields = [o, high, low, c, v].map((x, k) =>
            written(x, ((text >> (k + 1)) & 1) === 1),
          );
          // The reader stops at the first bad row.
          const problem = want ? null : timeProblem(time, last, 'bars');
          if (problem) want = { error: `c.json:${i + 1}: field "time": ${problem}` };
          else if (!want) {
            last = time.ms;
            if (kept(time.ms, w))
              bars.push({
                instrumentId: 'X',
                openTime: time.ms,
                closeTime: time.ms + 60_000,
                open: o,
                high,
                low,
                close: c,
                volume: v,
              });
          }
          return `[${[time.cell, ...fields].join(',')}]`;
        });
        const text = `[${lines.join(',\n')}]`;
        const got = await read(
          readJsonBars(chunks(text, cut), {
            source: 'c.json',
            instrumentId: 'X',
            intervalMs: 60_000,
            ...w,
          }),
        );
        expect(got).toEqual(want ?? { rows: bars, sizes: bars.length ? [bars.length] : [] });
      }),
      { numRuns: 200 },
    );
  });

  it('reads ccxt-ordered trades as the model does, each time by the CSV rule (property)', async () => {
    const side = fc.constantFrom('buy', 'sell', 'BUY', 'SELL', 'Buy', '', 'x');
    const id = fc.oneof(
      fc.nat().map(String),
      fc.stringMatching(/^[a-z0-9-]{1,8}$/).map((s) => JSON.stringify(s)),
    );
    const trade = fc.tuple(id, side, amount, amount, fc.nat({ max: 7 }), timeForm);
    await fc.assert(
      fc.asyncProperty(timed(0, trade), window, sizes, async (trades, w, cut) => {
        let want: { error: string } | null = null;
        let last = -Infinity;
        const ticks: TradeTick[] = [];
        const lines = trades.map(([t, [tid, s, price, size, text, form]], i) => {
          const time = timeCell(t, form, (text & 1) === 1);
          const [p, q] = [price, size].map((x, k) => written(x, ((text >> (k + 1)) & 1) === 1));
          const aggressor =
            s === 'buy' || s === 'BUY' ? 'BUY' : s === 'sell' || s === 'SELL' ? 'SELL' : 'NONE';
          const problem = want ? null : timeProblem(time, last, 'trades');
          if (problem) want = { error: `t.json:${i + 1}: field "timestamp": ${problem}` };
          else if (!want) {
            last = time.ms;
            if (kept(time.ms, w))
              ticks.push({
                instrumentId: 'X',
                ts: time.ms,
                tradeId: String(JSON.parse(tid)),
                price,
                size,
                aggressor,
              });
          }
          return `[${time.cell},${tid},null,"${s}",${p},${q},${price * size}]`;
        });
        const text = `[${lines.join(',\n')}]`;
        const got = await read(
          readJsonTrades(chunks(text, cut), { source: 't.json', instrumentId: 'X', ...w }),
        );
        expect(got).toEqual(want ?? { rows: ticks, sizes: ticks.length ? [ticks.length] : [] });
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a bad value naming its line and field, quoting it with the grammar (property)', async () => {
    const RULE =
      'wanted a plain decimal: digits with an optional point, leading minus and exponent, as -12.5 or 1.5e-7';
    // JSON values that are no number, and what the error quotes for them.
    const bad = fc.constantFrom(
      ['""', '""'],
      ['" "', '" "'],
      ['"0x10"', '"0x10"'],
      ['"+1"', '"+1"'],
      ['"1_0"', '"1_0"'],
      ['"Infinity"', '"Infinity"'],
      ['"1e999"', null],
      // JSON.parse reads it as Infinity: its text is lost.
      ['1e999', '"Infinity"'],
      ['null', '"null"'],
      ['true', '"true"'],
      ['{"a":1}', '"[object Object]"'],
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 5 }),
        bad,
        sizes,
        async (n, field, [value, quoted], cut) => {
          const row = (i: number) => [t0 + i * 60_000, 1, 2, 0.5, 1.5, 3].map(String);
          const rows = Array.from({ length: n + 1 }, (_, i) => row(i));
          rows[n]![field] = value;
          const text = `[${rows.map((r) => `[${r.join(',')}]`).join(',\n')}]`;
          const name = ['time', 'open', 'high', 'low', 'close', 'volume'][field]!;
          // The time's text as the reader quotes it: String of the JSON value.
          const raw = String(JSON.parse(`[${value}]`)[0]);
          const problem =
            field === 0
              ? `${JSON.stringify(raw)} is not a date or timestamp (${TIME_RULE})`
              : quoted === null
                ? 'is not a number'
                : `is not a number: ${quoted} (${RULE})`;
          const opts = { source: 'c.json', instrumentId: 'X', intervalMs: 60_000 };
          expect(await read(readJsonBars(chunks(text, cut), opts))).toEqual({
            error: `c.json:${n + 1}: field "${name}": ${problem}`,
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads a time as the CSV readers read its text: no sign, seconds by their digits, a fraction of a ms dropped', async () => {
    const opts = { source: 'c.json', instrumentId: 'X', intervalMs: 60_000 };
    const first = async (t: string) => {
      const bars = await read(readJsonBars(chunks(`[[${t},1,2,1,1,1]]`, [4]), opts));
      const trades = await read(
        readJsonTrades(chunks(`[[${t},"a",null,"buy",1,1]]`, [4]), { ...opts, source: 't.json' }),
      );
      return [bars.rows?.[0]?.openTime ?? bars.error, trades.rows?.[0]?.ts ?? trades.error];
    };
    const refused = (raw: string) => [
      `c.json:1: field "time": "${raw}" is not a date or timestamp (${TIME_RULE})`,
      `t.json:1: field "timestamp": "${raw}" is not a timestamp (${TIME_RULE})`,
    ];
    for (const [t, want] of [
      ['1000.5', [1_000_500, 1_000_500]],
      ['"1000.5"', [1_000_500, 1_000_500]],
      ['1600000000123.9', [1_600_000_000_123, 1_600_000_000_123]],
      ['1577836800.2509', [1_577_836_800_250, 1_577_836_800_250]],
      // A number is read by its value: its exponent is JSON's notation, not the time's text.
      ['1.6e12', [1.6e12, 1.6e12]],
      ['16e8', [1.6e12, 1.6e12]],
      ['1e21', [1e21, 1e21]],
      ['1e-7', [0, 0]],
      ['0', [0, 0]],
      ['-5', refused('-5')],
      ['"-5"', refused('-5')],
      ['-0', refused('-0')],
      ['-0.0', refused('-0')],
      ['-1e-7', refused('-0.00000010000000000000')],
      ['-1e21', refused('-1000000000000000000000')],
      ['"1.6e12"', refused('1.6e12')],
      ['"+5"', refused('+5')],
    ] as const)
      expect([t, await first(t)]).toEqual([t, want]);
  });

  it('refuses a row with fewer values than its layout, naming the row', async () => {
    const bars = (text: string) =>
      read(readJsonBars(chunks(text, [5]), { source: 'c.json', instrumentId: 'X' }));
    const trades = (text: string) =>
      read(readJsonTrades(chunks(text, [5]), { source: 't.json', instrumentId: 'X' }));
    expect(await bars('[[1000,1,2,1,1,1],\n[2000,1,2,1,1]]')).toEqual({
      error:
        'c.json:2: field "row": has 5 values, wanted at least 6: time (epoch s or ms), open, high, low, close, volume',
    });
    expect(await bars('[[]]')).toEqual({
      error:
        'c.json:1: field "row": has 0 values, wanted at least 6: time (epoch s or ms), open, high, low, close, volume',
    });
    expect(await trades('[[1000,"a",null,"buy",1.5,2],\n[2000,"b",null,"buy",1.5]]')).toEqual({
      error:
        't.json:2: field "row": has 5 values, wanted at least 6: time (epoch s or ms), id, order type, side, price, amount',
    });
    // Six values (no cost) and more than the layout are read.
    expect(await trades('[[1600000000000,"a",null,"buy",1.5,2]]')).toEqual({
      rows: [
        { instrumentId: 'X', ts: 1.6e12, tradeId: 'a', price: 1.5, size: 2, aggressor: 'BUY' },
      ],
      sizes: [1],
    });
    expect(await bars('[[1600000000000,1,2,1,1.5,3,"x",8]]')).toEqual({
      rows: [
        {
          instrumentId: 'X',
          openTime: 1.6e12,
          closeTime: 1.6e12 + 86_400_000,
          open: 1,
          high: 2,
          low: 1,
          close: 1.5,
          volume: 3,
        },
      ],
      sizes: [1],
    });
  });

  it('refuses an infinite time, not drops its row', async () => {
    const opts = { source: 'c.json', instrumentId: 'X', intervalMs: 60_000 };
    for (const [t, raw] of [
      ['1e999', 'Infinity'],
      ['"1e999"', '1e999'],
    ])
      expect(
        await read(readJsonBars(chunks(`[[1000,1,2,1,1,1],\n[${t},1,2,1,1,1]]`, [9]), opts)),
      ).toEqual({
        error: `c.json:2: field "time": "${raw}" is not a date or timestamp (${TIME_RULE})`,
      });
    expect(
      await read(
        readJsonTrades(chunks('[[1e999,"a",null,"buy",1,1]]', [9]), { ...opts, source: 't.json' }),
      ),
    ).toEqual({
      error: `t.json:1: field "timestamp": "Infinity" is not a timestamp (${TIME_RULE})`,
    });
  });

  it('hands rows over in full batches of 4,096 and the rest, never an empty batch', async () => {
    const candles = (n: number) =>
      `[${Array.from({ length: n }, (_, i) => `[${t0 + i * 60_000},1,2,0.5,1.5,3]`).join(',\n')}]`;
    const trades = (n: number) =>
      `[${Array.from({ length: n }, (_, i) => `[${t0 + i},"${i}",null,"buy",1.5,2,3]`).join(',\n')}]`;
    const bars = (text: string, size: number, w = {}) =>
      read(
        readJsonBars(chunks(text, [size]), {
          source: 'c.json',
          instrumentId: 'X',
          intervalMs: 60_000,
          ...w,
        }),
      );
    const ticks = (text: string, size: number, w = {}) =>
      read(readJsonTrades(chunks(text, [size]), { source: 't.json', instrumentId: 'X', ...w }));
    for (const [reader, make] of [
      [bars, candles],
      [ticks, trades],
    ] as const) {
      for (const size of [7, 100_000, 1_000_000])
        expect([size, (await reader(make(4096 * 2 + 3), size)).sizes]).toEqual([
          size,
          [4096, 4096, 3],
        ]);
      // Exactly full: no empty batch after it; every row before `from`: no batch at all.
      expect((await reader(make(4096), 1_000_000)).sizes).toEqual([4096]);
      expect(await reader(make(10), 50, { from: t0 + 1_000_000_000 })).toEqual({
        rows: [],
        sizes: [],
      });
    }
  });
});
