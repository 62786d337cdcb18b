import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CandleFile } from '../../../src/cli/candle-file.js';
import type { Bar } from '../../../src/trading/data/market-data.js';

const bar = (i: number): Bar => ({
  instrumentId: 'BTC/USDT',
  openTime: i * 60_000,
  closeTime: (i + 1) * 60_000,
  open: 100 + i,
  high: 101 + i,
  low: 99.5 + i,
  close: 100.25 + i,
  volume: (i + 1) / 1e7, // 5e-7 prints in exponent form: still JSON
});
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => bar(a + k));
const times = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')) as number[][]).map((r) => r[0]! / 60_000);

describe('CandleFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'candles-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is valid JSON after every append, adds only bars after the last, each once', async () => {
    const file = path.join(dir, 'sub', 'BTC_USDT-1m.json');
    const f = await CandleFile.open(file);
    expect([f.count, f.first, f.last]).toEqual([0, null, null]);
    expect(await f.append(range(0, 3))).toBe(3);
    expect(times(file)).toEqual([0, 1, 2]);
    expect(await f.append([...range(1, 5), bar(4)])).toBe(2);
    expect(times(file)).toEqual([0, 1, 2, 3, 4]);
    expect(await f.append(range(0, 5))).toBe(0);
    const rows = JSON.parse(readFileSync(file, 'utf8')) as number[][];
    expect(rows[4]).toEqual([240_000, 104, 105, 103.5, 104.25, 5e-7]);
    const again = await CandleFile.open(file);
    expect([again.count, again.first, again.last]).toEqual([5, 0, 240_000]);
  });

  it('reads back a file torn by a kill (dropping the torn row) and rewrites it clean', async () => {
    const file = path.join(dir, 'x.json');
    const f = await CandleFile.open(file);
    await f.append(range(0, 4));
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, `${text.slice(0, -3)},\n[240000,104,10`); // killed mid-append
    const g = await CandleFile.open(file);
    expect(g.count).toBe(4);
    expect(times(file)).toEqual([0, 1, 2, 3]);
    expect(await g.append(range(3, 6))).toBe(2);
    expect(times(file)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('normalizes a freqtrade file (unsorted, duplicated) and merges bars before it', async () => {
    const file = path.join(dir, 'ft.json');
    const row = (b: Bar) => [b.openTime, b.open, b.high, b.low, b.close, b.volume];
    writeFileSync(file, JSON.stringify([bar(5), bar(3), bar(5), bar(4)].map(row)));
    const f = await CandleFile.open(file);
    expect(times(file)).toEqual([3, 4, 5]);
    expect(await f.merge(range(0, 4))).toBe(3);
    expect(times(file)).toEqual([0, 1, 2, 3, 4, 5]);
    expect([f.first, f.last, f.count]).toEqual([0, 300_000, 6]);
    expect(await f.append(range(6, 7))).toBe(1);
    expect(times(file)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});
