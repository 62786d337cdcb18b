import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { KairosError } from '../../core/errors.js';
import type { Bar, TradeTick } from '../../data/market-data.js';
import { readCsvBars } from '../../data/readers/csv-bars.js';
import { readCsvTrades } from '../../data/readers/csv-trades.js';
import { readJsonBars } from '../../data/readers/json-bars.js';
import { readJsonTrades } from '../../data/readers/json-trades.js';

/** What a data file holds and how it is laid out. */
export interface DataFormat {
  readonly kind: 'bars' | 'trades';
  readonly layout: 'csv' | 'json';
  readonly gzip: boolean;
  /** A rough row count for progress bars (plain files only), else null. */
  readonly estimatedRows: number | null;
  /** The finest price step seen in the first rows (10^-decimals, at most 8 decimals). */
  readonly tick: string;
  /** The interval named in the file name (`-1m`, `-1h`, ...), if any. */
  readonly intervalMs: number | null;
}

/** Where and what to read. */
export interface OpenOptions {
  readonly instrumentId: string;
  readonly from?: number;
  readonly to?: number;
  readonly intervalMs?: number;
  /** Prices adjusted from an "Adj Close" column (CSV bars only), rounded to `tick`. */
  readonly adjustClose?: { readonly tick: string };
}

const UNIT: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const HEAD = 65_536;

async function head(file: string): Promise<{ text: string; gzip: boolean; size: number }> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw new KairosError('DATA_NOT_FOUND', `data file ${file}: not found`);
  }
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(HEAD, size));
    await fh.read(buf, 0, buf.length, 0);
    const gzip = buf[0] === 0x1f && buf[1] === 0x8b;
    if (!gzip) return { text: buf.toString('utf8'), gzip, size };
    const all = Buffer.alloc(Math.min(size, 4 * HEAD));
    await fh.read(all, 0, all.length, 0);
    let text = '';
    try {
      text = gunzipSync(all, {
        finishFlush: 2 /* Z_SYNC_FLUSH: a truncated stream is fine */,
      }).toString('utf8');
    } catch {
      throw new KairosError('DATA_FORMAT', `data file ${file}: not a readable gzip file`);
    }
    return { text: text.slice(0, HEAD), gzip, size };
  } finally {
    await fh.close();
  }
}

function decimals(x: string): number {
  const s = x.trim();
  if (/e-/i.test(s))
    return Math.min(8, Number(s.split(/e-/i)[1]) + (s.split(/e/i)[0]!.split('.')[1]?.length ?? 0));
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : Math.min(8, s.length - dot - 1);
}

/**
 * Detects what a data file holds (bars or trades, CSV or JSON, gzipped or not) from its first
 * bytes, and the tick and interval it suggests.
 *
 * @example
 * const fmt = await detectFormat('../shared/data/freqtrade/XRP_ETH-trades.json.gz'); // kind 'trades'
 */
export async function detectFormat(file: string): Promise<DataFormat> {
  const { text, gzip, size } = await head(file);
  const name = path.basename(file);
  const tf = /-(\d+)([smhdw])(?:-|\.|$)/.exec(name);
  const intervalMs = tf ? Number(tf[1]) * UNIT[tf[2]!]! : null;
  const trimmed = text.trimStart();
  if (trimmed.length === 0) throw new KairosError('DATA_EMPTY', `${name}: no rows`);
  let kind: 'bars' | 'trades';
  let prices: string[];
  let layout: 'csv' | 'json';
  if (trimmed.startsWith('[')) {
    layout = 'json';
    const rows = [...trimmed.matchAll(/\[([^[\]]*)\]/g)].slice(0, 200).map((m) => m[1]!.split(','));
    const first = rows[0];
    if (!first) throw new KairosError('DATA_FORMAT', `${name}: not a JSON array of rows`);
    kind = first.length >= 7 || /"/.test(first[1] ?? '') ? 'trades' : 'bars';
    prices = rows.flatMap((r) => (kind === 'bars' ? r.slice(1, 5) : [r[4] ?? '']));
  } else {
    layout = 'csv';
    const lines = trimmed.split('\n').slice(0, 201);
    const header = lines[0]!
      .toLowerCase()
      .split(',')
      .map((s) => s.trim());
    if (header.includes('open') && header.includes('close')) kind = 'bars';
    else if (header.includes('price')) kind = 'trades';
    else
      throw new KairosError(
        'DATA_FORMAT',
        `${name}:1: field "header": names neither open/high/low/close nor price columns`,
      );
    const cols =
      kind === 'bars'
        ? ['open', 'high', 'low', 'close'].map((c) => header.indexOf(c))
        : [header.indexOf('price')];
    prices = lines.slice(1, -1).flatMap((l) => cols.map((c) => l.split(',')[c] ?? ''));
  }
  const d = prices.reduce((m, p) => Math.max(m, decimals(p)), 0);
  const lineCount = text.split('\n').length;
  const estimatedRows =
    !gzip && layout === 'csv' && text.length > 0
      ? Math.ceil((size / text.length) * lineCount)
      : null;
  return {
    kind,
    layout,
    gzip,
    estimatedRows,
    tick: d === 0 ? '1' : `0.${'0'.repeat(d - 1)}1`,
    intervalMs,
  };
}

async function* textChunks(file: string, gzip: boolean): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const chunk of byteChunks(file, gzip)) yield decoder.decode(chunk, { stream: true });
  const tail = decoder.decode();
  if (tail) yield tail;
}

async function* byteChunks(file: string, gzip: boolean): AsyncGenerator<Buffer> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = gzip ? raw.pipe(createGunzip()) : raw;
  for await (const chunk of stream) yield chunk as Buffer;
}

/**
 * Streams the bars of a file (CSV, freqtrade JSON; gzipped or not) in batches.
 *
 * @example
 * for await (const batch of openBars('orcl.txt', { instrumentId: 'ORCL' })) ...
 */
export async function* openBars(file: string, opts: OpenOptions): AsyncGenerator<Bar[]> {
  const fmt = await detectFormat(file);
  if (fmt.kind !== 'bars')
    throw new KairosError('DATA_FORMAT', `${path.basename(file)}: holds trades, not bars`);
  if (opts.adjustClose && fmt.layout === 'json')
    throw new KairosError(
      'DATA_FORMAT',
      `${path.basename(file)}: JSON bars have no Adj Close column to adjust prices from`,
    );
  const o = {
    ...opts,
    source: path.basename(file),
    intervalMs: opts.intervalMs ?? fmt.intervalMs ?? undefined,
  };
  yield* fmt.layout === 'json'
    ? readJsonBars(textChunks(file, fmt.gzip), o)
    : readCsvBars(byteChunks(file, fmt.gzip), o);
}

/**
 * Streams the trades of a file (JSON trade list or trades CSV; gzipped or not) in batches.
 *
 * @example
 * for await (const batch of openTrades('XRP_ETH-trades.json.gz', { instrumentId: 'XRP/ETH' })) ...
 */
export async function* openTrades(file: string, opts: OpenOptions): AsyncGenerator<TradeTick[]> {
  const fmt = await detectFormat(file);
  if (fmt.kind !== 'trades')
    throw new KairosError('DATA_FORMAT', `${path.basename(file)}: holds bars, not trades`);
  const o = { ...opts, source: path.basename(file) };
  yield* fmt.layout === 'json'
    ? readJsonTrades(textChunks(file, fmt.gzip), o)
    : readCsvTrades(byteChunks(file, fmt.gzip), o);
}
