import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Bar } from '../trading/data/market-data.js';

/** One candle as freqtrade stores it: open time (ms), open, high, low, close, volume. */
type Row = readonly [number, number, number, number, number, number];

const TAIL = '\n]\n';

const line = (r: Row) => `[${r.join(',')}]`;

/** Every complete `[t,o,h,l,c,v]` row in the text; a row cut short by a crash is skipped. */
function parseRows(text: string): Row[] {
  const rows: Row[] = [];
  for (const m of text.matchAll(/\[([^[\]]*)\]/g)) {
    const parts = m[1]!.split(',').map((s) => Number(s.trim()));
    if (parts.length >= 6 && parts.slice(0, 6).every(Number.isFinite))
      rows.push(parts.slice(0, 6) as unknown as Row);
  }
  return rows;
}

/**
 * A freqtrade-style JSON candle file (`[[ms, open, high, low, close, volume], ...]`, what
 * `kairos backtest --data` reads) that grows page by page and survives being killed. After
 * every `append` the file is complete JSON: new rows overwrite the closing `]` and end with a
 * new one. On `open`, rows already there are read back (a row torn by a crash is dropped), sorted
 * and de-duplicated by open time, and the file is rewritten atomically if it was not clean.
 *
 * @example
 * const file = await CandleFile.open('var/data/binance/BTC_USDT-1m.json');
 * await file.append(bars); // only bars after file.last are added
 */
export class CandleFile {
  #last: number | null;
  #first: number | null;
  #count: number;
  #size: number;

  private constructor(
    readonly file: string,
    rows: readonly Row[],
    size: number,
  ) {
    this.#count = rows.length;
    this.#first = rows[0]?.[0] ?? null;
    this.#last = rows.at(-1)?.[0] ?? null;
    this.#size = size;
  }

  /** Opens (or creates the folder of) a candle file, reading what it already holds. */
  static async open(file: string): Promise<CandleFile> {
    await mkdir(path.dirname(file), { recursive: true });
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const parsed = parseRows(text);
    const byTime = new Map<number, Row>();
    for (const r of parsed) byTime.set(r[0], r);
    const rows = [...byTime.values()].sort((a, b) => a[0] - b[0]);
    const clean =
      text === '' ||
      (text === serialize(rows) && rows.every((r, i) => i === 0 || r[0] > rows[i - 1]![0]));
    if (!clean) await writeAtomically(file, serialize(rows));
    const size = rows.length === 0 ? 0 : (await stat(file)).size;
    return new CandleFile(file, rows, size);
  }

  /** Bars held. */
  get count(): number {
    return this.#count;
  }

  /** Open time of the first bar, or null when empty. */
  get first(): number | null {
    return this.#first;
  }

  /** Open time of the last bar, or null when empty. */
  get last(): number | null {
    return this.#last;
  }

  /**
   * Merges bars from anywhere in time (before the first one held, into gaps): the file is read,
   * merged by open time (bars already held win) and rewritten atomically. Returns how many were added.
   */
  async merge(bars: readonly Bar[]): Promise<number> {
    const byTime = new Map<number, Row>();
    for (const b of bars)
      byTime.set(b.openTime, [b.openTime, b.open, b.high, b.low, b.close, b.volume]);
    const held = this.#count === 0 ? [] : parseRows(await readFile(this.file, 'utf8'));
    for (const r of held) byTime.set(r[0], r);
    const rows = [...byTime.values()].sort((a, b) => a[0] - b[0]);
    const added = rows.length - held.length;
    if (added === 0) return 0;
    const text = serialize(rows);
    await writeAtomically(this.file, text);
    this.#size = Buffer.byteLength(text);
    this.#count = rows.length;
    this.#first = rows[0]![0];
    this.#last = rows.at(-1)![0];
    return added;
  }

  /** Appends the bars that come after the last one held; returns how many were added. */
  async append(bars: readonly Bar[]): Promise<number> {
    const fresh: Row[] = [];
    let last = this.#last ?? -Infinity;
    for (const b of bars) {
      if (b.openTime <= last) continue;
      fresh.push([b.openTime, b.open, b.high, b.low, b.close, b.volume]);
      last = b.openTime;
    }
    if (fresh.length === 0) return 0;
    const body = fresh.map(line).join(',\n');
    const fh = await open(this.file, this.#size === 0 ? 'w' : 'r+');
    try {
      const text = this.#size === 0 ? `[\n${body}${TAIL}` : `,\n${body}${TAIL}`;
      const at = this.#size === 0 ? 0 : this.#size - TAIL.length;
      const buf = Buffer.from(text, 'utf8');
      await fh.write(buf, 0, buf.length, at);
      await fh.sync();
      this.#size = at + buf.length;
    } finally {
      await fh.close();
    }
    this.#first ??= fresh[0]![0];
    this.#last = last;
    this.#count += fresh.length;
    return fresh.length;
  }
}

function serialize(rows: readonly Row[]): string {
  return rows.length === 0 ? '' : `[\n${rows.map(line).join(',\n')}${TAIL}`;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}
