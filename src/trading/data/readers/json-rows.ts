import { DataFormatError } from './data-format-error.js';

/** One row of a JSON array of arrays, with where it was. */
export interface JsonRow {
  readonly values: unknown[];
  /** 1-based line of the row's start. */
  readonly line: number;
  /** 1-based index of the row. */
  readonly index: number;
}

/**
 * Streams the rows of a JSON array of flat arrays (`[[...],[...]]`), chunk by chunk, without
 * holding the file: each row's text is cut out by scanning brackets (strings skipped) and parsed
 * alone.
 *
 * @example
 * for await (const rows of jsonRows(chunks, 'btc.json')) for (const r of rows) r.values[0];
 */
export async function* jsonRows(
  chunks: AsyncIterable<string>,
  source: string,
): AsyncGenerator<JsonRow[]> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let row = '';
  let rowLine = 0;
  let line = 1;
  let index = 0;
  let sawOuter = false;
  for await (const chunk of chunks) {
    const out: JsonRow[] = [];
    let start = -1;
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk.charCodeAt(i);
      if (ch === 10) line++;
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === 92) escaped = true;
        else if (ch === 34) inString = false;
        continue;
      }
      if (ch === 34) {
        inString = true;
      } else if (ch === 91 /* [ */) {
        depth++;
        if (depth === 1) sawOuter = true;
        if (depth === 2) {
          start = i;
          row = '';
          rowLine = line;
        }
        if (depth > 2) throw new DataFormatError(source, line, 'row', 'rows must be flat arrays');
      } else if (ch === 93 /* ] */) {
        if (depth === 2) {
          row += chunk.slice(start < 0 ? 0 : start, i + 1);
          start = -1;
          index++;
          let values: unknown;
          try {
            values = JSON.parse(row);
          } catch {
            throw new DataFormatError(source, rowLine, `row ${index}`, 'is not valid JSON');
          }
          out.push({ values: values as unknown[], line: rowLine, index });
        }
        depth--;
      } else if (depth === 0 && ch > 32) {
        throw new DataFormatError(source, line, 'file', 'is not a JSON array of rows');
      }
    }
    if (depth === 2) row += chunk.slice(start < 0 ? 0 : start);
    if (out.length > 0) yield out;
  }
  if (!sawOuter) throw new DataFormatError(source, line, 'file', 'is not a JSON array of rows');
  if (depth !== 0 || inString)
    throw new DataFormatError(source, line, 'file', 'ends in the middle of a row');
}

/**
 * A row's values, refused naming the row when it has fewer than a reader reads; `layout` says
 * how many and what they are (more values are not read).
 *
 * @example
 * const r = valuesOf(row, 'btc.json', { min: 6, names: 'time, open, high, low, close, volume' });
 */
export function valuesOf(
  row: JsonRow,
  source: string,
  layout: { readonly min: number; readonly names: string },
): unknown[] {
  const n = row.values.length;
  if (n < layout.min)
    throw new DataFormatError(
      source,
      row.line,
      'row',
      `has ${n} values, wanted at least ${layout.min}: ${layout.names}`,
    );
  return row.values;
}
