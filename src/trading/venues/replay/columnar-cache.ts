import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BAR_COLUMNS, columnsIn, type BarColumns } from '../../data/bar-columns.js';
import { openBars, type OpenOptions } from './open-data.js';

const MAGIC = 0x4b424152; // "KBAR"
const VERSION = 1;
const HEADER = 16; // magic u32, version u32, rows f64
const COLUMNS = BAR_COLUMNS;

/**
 * A copy's path: `<which>-<version>.kbar`, `which` from the file's path, instrument and interval,
 * `version` from its size and mtime; the copies of the file's earlier versions share `which`.
 */
async function cachePath(
  file: string,
  opts: OpenOptions,
  dir: string,
): Promise<{ target: string; which: string }> {
  const abs = path.resolve(file);
  const st = await stat(abs);
  const hash = (key: unknown) =>
    createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
  // Adjusted prices are a copy of their own (the key of a plain copy is unchanged).
  const which = hash([
    abs,
    opts.instrumentId,
    opts.intervalMs ?? null,
    ...(opts.adjustClose ? [opts.adjustClose.tick] : []),
  ]);
  return { target: path.join(dir, `${which}-${hash([st.size, st.mtimeMs])}.kbar`), which };
}

function decode(buf: Buffer): BarColumns | null {
  if (buf.length < HEADER || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION)
    return null;
  const n = buf.readDoubleLE(8);
  if (!Number.isInteger(n) || buf.length !== HEADER + n * 8 * COLUMNS) return null;
  // The columns are views of the file's bytes when they start 8-byte aligned (a buffer of its
  // own from readFile does); otherwise of an aligned copy.
  let aligned: Float64Array;
  if ((buf.byteOffset + HEADER) % 8 === 0) {
    aligned = new Float64Array(buf.buffer, buf.byteOffset + HEADER, (buf.length - HEADER) / 8);
  } else {
    aligned = new Float64Array((buf.length - HEADER) / 8);
    new Uint8Array(aligned.buffer).set(buf.subarray(HEADER));
  }
  return columnsIn(aligned, n);
}

/**
 * Loads the columnar copy of a bar file, building it first when it is missing, stale (the
 * source's size or mtime changed) or corrupt. For repeated runs and parameter sweeps.
 *
 * @example
 * const cols = await loadColumns('bars.csv', { instrumentId: 'BTC/USDT' }, 'var/cache/bars');
 */
export async function loadColumns(
  file: string,
  opts: OpenOptions,
  dir: string,
): Promise<BarColumns> {
  const { target, which } = await cachePath(file, opts, dir);
  try {
    const cols = decode(await readFile(target));
    if (cols) return cols;
  } catch {
    // Missing: build it below.
  }
  const read = await readColumns(file, opts);
  const n = read.length;
  const buf = Buffer.alloc(HEADER + n * 8 * COLUMNS);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(VERSION, 4);
  buf.writeDoubleLE(n, 8);
  copyColumns(
    read,
    columnsIn(new Float64Array(buf.buffer, buf.byteOffset + HEADER, n * COLUMNS), n),
  );
  await mkdir(dir, { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  await writeFile(tmp, buf);
  await rename(tmp, target);
  // The copies of the file's earlier versions are of no more use.
  for (const name of await readdir(dir))
    if (name.startsWith(`${which}-`) && name.endsWith('.kbar') && name !== path.basename(target))
      await rm(path.join(dir, name), { force: true });
  return decode(buf)!;
}

/**
 * Every bar of a file as columns in memory (the whole file, as the columnar copy holds it; no
 * copy written), each column an array of its own.
 *
 * @example
 * const cols = await readColumns('bars.csv', { instrumentId: 'BTC/USDT' });
 */
export async function readColumns(file: string, opts: OpenOptions): Promise<BarColumns> {
  const cols: number[][] = Array.from({ length: COLUMNS }, () => []);
  for await (const batch of openBars(file, {
    instrumentId: opts.instrumentId,
    intervalMs: opts.intervalMs,
    ...(opts.adjustClose ? { adjustClose: opts.adjustClose } : {}),
  })) {
    for (const b of batch) {
      cols[0]!.push(b.openTime);
      cols[1]!.push(b.closeTime);
      cols[2]!.push(b.open);
      cols[3]!.push(b.high);
      cols[4]!.push(b.low);
      cols[5]!.push(b.close);
      cols[6]!.push(b.volume);
    }
  }
  const all = new Float64Array(cols[0]!.length * COLUMNS);
  cols.forEach((c, i) => all.set(c, i * c.length));
  return columnsIn(all, cols[0]!.length);
}

/** Copies columns into others of the same length (a shared buffer, a file's bytes). */
export function copyColumns(from: BarColumns, to: BarColumns): void {
  for (const k of COLUMN_NAMES) to[k].set(from[k]);
}

const COLUMN_NAMES = ['openTime', 'closeTime', 'open', 'high', 'low', 'close', 'volume'] as const;
