import { createWriteStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SeededRandom } from '../src/trading/core/random.js';

async function writeLines(
  file: string,
  header: string,
  n: number,
  row: (i: number) => string,
): Promise<void> {
  if (existsSync(file)) return;
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const out = createWriteStream(tmp);
  out.write(`${header}\n`);
  let buf = '';
  for (let i = 0; i < n; i++) {
    buf += row(i);
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  out.write(buf);
  await new Promise<void>((r) => out.end(r));
  const { rename } = await import('node:fs/promises');
  await rename(tmp, file);
}

/** A deterministic random walk of `n` one-minute bars as a generic OHLCV CSV. */
export async function generateBars(file: string, n: number): Promise<void> {
  const rng = new SeededRandom(2024);
  let price = 100;
  const t0 = Date.UTC(2020, 0, 1);
  await writeLines(file, 'timestamp,open,high,low,close,volume', n, (i) => {
    const open = price;
    const close = Math.max(1, open * (1 + (rng.next() - 0.5) * 0.004));
    const high = Math.max(open, close) * (1 + rng.next() * 0.001);
    const low = Math.min(open, close) * (1 - rng.next() * 0.001);
    price = close;
    return `${t0 + i * 60_000},${open.toFixed(2)},${high.toFixed(2)},${low.toFixed(2)},${close.toFixed(2)},${(rng.next() * 100).toFixed(3)}\n`;
  });
}

/** A deterministic stream of `n` trade ticks as a trades CSV. */
export async function generateTrades(file: string, n: number): Promise<void> {
  const rng = new SeededRandom(7);
  let price = 100;
  let ts = Date.UTC(2020, 0, 1);
  await writeLines(file, 'timestamp,id,side,price,amount', n, (i) => {
    price = Math.max(1, price * (1 + (rng.next() - 0.5) * 0.0005));
    ts += rng.int(0, 400);
    return `${ts},${i + 1},${rng.next() < 0.5 ? 'buy' : 'sell'},${price.toFixed(2)},${(0.001 + rng.next() * 5).toFixed(3)}\n`;
  });
}
