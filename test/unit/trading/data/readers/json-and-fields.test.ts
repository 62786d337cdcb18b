import fc from 'fast-check';
import { parseNumericLine } from '../../../../../src/trading/data/readers/fast-fields.js';
import { jsonRows, type JsonRow } from '../../../../../src/trading/data/readers/json-rows.js';
import { readJsonTrades } from '../../../../../src/trading/data/readers/json-trades.js';
import { readCsvBars } from '../../../../../src/trading/data/readers/csv-bars.js';
import { readJsonBars } from '../../../../../src/trading/data/readers/json-bars.js';
import { collect } from '../../../../support/collect.js';
import { textOf as chunks } from '../../../../support/chunks.js';

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
      '[[1000,"a",null,"buy",1.5,2,3],\n[1000,7,null,"sell","2.5","0.1",0],\n[2000,"c",null,"x",3,4,12]]';
    expect(
      await outcome(readJsonTrades(chunks(text, [5]), { source: 't.json', instrumentId: 'X' })),
    ).toEqual({
      rows: [
        { instrumentId: 'X', ts: 1000, tradeId: 'a', price: 1.5, size: 2, aggressor: 'BUY' },
        { instrumentId: 'X', ts: 1000, tradeId: '7', price: 2.5, size: 0.1, aggressor: 'SELL' },
        { instrumentId: 'X', ts: 2000, tradeId: 'c', price: 3, size: 4, aggressor: 'NONE' },
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
    const text = '[[1000,"1.5","2.25","-1","1.75","10"],["2000",1.5,2.25,-1,1.75,10]]';
    const bars = await collect(readJsonBars(chunks(text, [7]), opts));
    expect(bars.map((b) => [b.openTime, b.open, b.high, b.low, b.close, b.volume])).toEqual([
      [1000, 1.5, 2.25, -1, 1.75, 10],
      [2000, 1.5, 2.25, -1, 1.75, 10],
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
