import { readCsvBars } from '../../../../../src/trading/data/readers/csv-bars.js';
import { readCsvTrades } from '../../../../../src/trading/data/readers/csv-trades.js';
import { readJsonBars } from '../../../../../src/trading/data/readers/json-bars.js';
import { readJsonTrades } from '../../../../../src/trading/data/readers/json-trades.js';
import { bytesOf, textOf } from '../../../../support/chunks.js';

// One grammar for a price or amount written as text, in every reader and on both paths of the
// CSV readers: an optional leading minus, digits with an optional point, an optional exponent.
// The other spellings JavaScript's Number takes are refused, naming the field, quoting the text
// and stating the rule.

const RULE =
  'wanted a plain decimal: digits with an optional point, leading minus and exponent, as -12.5 or 1.5e-7';
const ACCEPTED: [string, number][] = [
  ['2', 2],
  ['2.5', 2.5],
  ['.5', 0.5],
  ['5.', 5],
  ['0002.50', 2.5],
  ['25e-1', 2.5],
  ['2.5E0', 2.5],
  ['0.025e+2', 2.5],
  ['2.5e-030', 2.5e-30],
  ['25000000000000000000000000e-25', 2.5],
  ['1.5e-7', 1.5e-7],
];
const REFUSED = [
  '0x10',
  '0X10',
  '0o7',
  '0b1',
  'Infinity',
  '-Infinity',
  'NaN',
  '+5',
  ' 5',
  '5 ',
  '1_000',
  '1e',
  'e5',
  '1.2.3',
  '.',
  '-',
  '',
  ' ',
];

async function all<T>(batches: AsyncIterable<T[]>): Promise<T[] | string> {
  const out: T[] = [];
  try {
    for await (const b of batches) out.push(...b);
    return out;
  } catch (e) {
    return (e as Error).message;
  }
}

const opts = { source: 'g', instrumentId: 'X', intervalMs: 60_000 };
const barsCsv = (n: string) => `timestamp,open,high,low,close,volume\n1000,1,3,1,${n},5\n`;
const tradesCsv = (n: string) => `timestamp,id,side,price,amount\n1000,1,buy,1,${n}\n`;
const readers = {
  'csv bars (bytes)': async (n: string) =>
    (await all(readCsvBars(bytesOf(barsCsv(n), [1000]), opts))) as unknown,
  'csv bars (text)': async (n: string) => all(readCsvBars(textOf(barsCsv(n), [1000]), opts)),
  'csv trades (bytes)': async (n: string) =>
    all(readCsvTrades(bytesOf(tradesCsv(n), [1000]), opts)),
  'csv trades (text)': async (n: string) => all(readCsvTrades(textOf(tradesCsv(n), [1000]), opts)),
  'json bars': async (n: string) =>
    all(readJsonBars(textOf(JSON.stringify([[1000, 1, 3, 1, n, 5]]), [1000]), opts)),
  'json trades': async (n: string) =>
    all(readJsonTrades(textOf(JSON.stringify([[1000, '1', null, 'buy', 1, n]]), [1000]), opts)),
};
/** The value read from the field under test (bars: close; trades: amount). */
const valueOf = (rows: unknown) =>
  Array.isArray(rows)
    ? rows.map((r: { close?: number; size?: number }) => r.close ?? r.size)
    : rows;

describe.each(Object.entries(readers))('%s', (_, read) => {
  it.each(ACCEPTED)('reads %j as %d', async (text, value) => {
    expect(valueOf(await read(text))).toEqual([value]);
  });

  it.each(REFUSED)(
    'refuses %j, naming the field, quoting it and stating the rule',
    async (text) => {
      const got = await read(text);
      const bars = _.includes('bars');
      const line = _.startsWith('json') ? 1 : 2;
      expect(got).toBe(
        bars
          ? `g:${line}: field "close": is not a number: ${JSON.stringify(text)} (${RULE})`
          : `g:${line}: field "amount": is not a positive number: ${JSON.stringify(text)} (${RULE})`,
      );
    },
  );
});
