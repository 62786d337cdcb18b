import { buildSync } from 'esbuild';
import fc from 'fast-check';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { BacktestEngine } from '../../../../../src/trading/backtest/backtest-engine.js';
import type { Bar } from '../../../../../src/trading/data/market-data.js';
import { defineStrategy } from '../../../../../src/trading/strategy/define-strategy.js';
import { StrategyError } from '../../../../../src/trading/strategy/strategy-error.js';
import {
  CREDITS,
  CREDITS_BACK,
  OFF_THREAD_MIN_BYTES,
  openBarsOffThread,
  startBarReader,
  type BarReaderJob,
} from '../../../../../src/trading/venues/replay/open-bars-off-thread.js';
import { openBars } from '../../../../../src/trading/venues/replay/open-data.js';
import { instrument } from '../../../../support/builders.js';
import { hot } from '../../../../support/hot-expect.js';
import { DATA } from '../../../../support/run-cli.js';
import { tempDir } from '../../../../support/temp-dir.js';

const dir = tempDir('kairos-offthread-');
const opts = { instrumentId: 'TEST/USD' };
const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);

// The reading thread's module from the sources, bundled once: a thread started from the
// TypeScript sources (startBarReader under Jest) registers tsx and compiles its modules first
// (~0.5 s each), which dozens of threads would pay. One test below starts it as the product does.
const READER = path.join(dir, 'bar-reader-worker.mjs');
buildSync({
  entryPoints: [path.resolve('src/trading/venues/replay/bar-reader-worker.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: READER,
  logLevel: 'silent',
});
const startBundled = (job: BarReaderJob) => new Worker(READER, { workerData: job });

/** A CSV of `n` one-minute bars (epoch ms), `bad` replacing the text of its data row `at`. */
function csv(n: number, bad?: { at: number; row: string }): string {
  const rows = ['timestamp,open,high,low,close,volume'];
  for (let i = 0; i < n; i++) {
    const p = 100 + (i % 17) / 4;
    rows.push(
      bad?.at === i ? bad.row : `${T0 + i * MIN},${p},${p + 1.25},${p - 0.5},${p + 0.25},${i % 9}`,
    );
  }
  return `${rows.join('\n')}\n`;
}

function write(name: string, text: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Every batch of a stream, and the error that ended it (its class and fields), if any. */
async function outcome(stream: AsyncIterable<Bar[]>) {
  const batches: Bar[][] = [];
  try {
    for await (const batch of stream) batches.push(batch);
    return { batches, error: null };
  } catch (e) {
    const err = e as Error & Record<string, unknown>;
    return {
      batches,
      error: {
        class: err.constructor,
        name: err.name,
        message: err.message,
        code: err.code,
        file: err.file,
        line: err.line,
        field: err.field,
      },
    };
  }
}

/**
 * Starts reading threads as the stream does, and notes what each posts, how far at most it was
 * ahead of the batches `taken()` counts, and when it exits.
 */
function watched(taken = () => 0, startThread = startBundled) {
  const threads: { worker: Worker; exited: boolean; posted: number; ahead: number }[] = [];
  const start = (job: BarReaderJob) => {
    const worker = startThread(job);
    const t = { worker, exited: false, posted: 0, ahead: 0 };
    worker.once('exit', () => (t.exited = true));
    worker.on('message', (m: { kind: string }) => {
      if (m.kind === 'bars') t.posted++;
      t.ahead = Math.max(t.ahead, t.posted - taken());
    });
    threads.push(t);
    return worker;
  };
  return { threads, start };
}

/** Resolves once `ok()` holds, checked whenever the thread posts (no clock). */
function until(worker: Worker, ok: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!ok()) return;
      worker.off('message', check);
      resolve();
    };
    worker.on('message', check);
    check();
  });
}

describe('openBarsOffThread', () => {
  it.each([
    ['freqtrade/UNITTEST_BTC-1m.json', 'JSON'],
    ['backtrader/orcl-1995-2014.txt', 'CSV with dates'],
  ])(
    'gives the same bars in the same batches as openBars, started as the product starts it: %s (%s)',
    async (name) => {
      const file = path.join(DATA, name);
      const { threads, start } = watched(undefined, startBarReader);
      const off = await outcome(openBarsOffThread(file, opts, { start, minBytes: 0 }));
      hot(off).toEqual(await outcome(openBars(file, opts)));
      expect(off.batches.length).toBeGreaterThan(1);
      expect(threads).toHaveLength(1);
      expect(threads[0]!.exited).toBe(true);
    },
  );

  it('reads a file smaller than minBytes on this thread (default: OFF_THREAD_MIN_BYTES)', async () => {
    const file = write('small.csv', csv(5_000));
    const size = statSync(file).size;
    expect(size).toBeLessThan(OFF_THREAD_MIN_BYTES);
    const here = await outcome(openBars(file, opts));
    const { threads, start } = watched();
    hot(await outcome(openBarsOffThread(file, opts, { start }))).toEqual(here);
    hot(await outcome(openBarsOffThread(file, opts, { start, minBytes: size + 1 }))).toEqual(here);
    expect(threads).toHaveLength(0);
    hot(await outcome(openBarsOffThread(file, opts, { start, minBytes: size }))).toEqual(here);
    expect(threads).toHaveLength(1);
  });

  it('reads gzip and a from/to range as openBars does', async () => {
    const file = write('range.csv.gz', gzipSync(csv(10_000)));
    const range = { ...opts, from: T0 + 1234 * MIN, to: T0 + 9000 * MIN };
    const off = await outcome(openBarsOffThread(file, range, { minBytes: 0 }));
    hot(off).toEqual(await outcome(openBars(file, range)));
    expect(off.batches.flat()).toHaveLength(9000 - 1234);
  });

  it.each([
    ['a bad close in the middle', csv(9_000, { at: 8_500, row: `${T0 + 8500 * MIN},1,2,0,abc,1` })],
    ['a bad header', 'time,o,h,l,c\n1,2,3,1,2\n'],
    ['an empty file', ''],
    ['a header alone', 'timestamp,open,high,low,close\n'],
  ])('throws what openBars throws, after the same batches: %s', async (_, text) => {
    const file = write(`bad-${text.length}.csv`, text);
    const { threads, start } = watched();
    const off = await outcome(openBarsOffThread(file, opts, { start, minBytes: 0 }));
    const here = await outcome(openBars(file, opts));
    expect(here.error).not.toBeNull();
    hot(off).toEqual(here);
    expect(threads[0]!.exited).toBe(true);
  });

  it('throws DATA_NOT_FOUND for a missing file, as openBars does', async () => {
    const file = path.join(dir, 'missing.csv');
    const off = await outcome(openBarsOffThread(file, opts, { minBytes: 0 }));
    expect(off.error).toMatchObject({ code: 'DATA_NOT_FOUND' });
    hot(off).toEqual(await outcome(openBars(file, opts)));
  });

  it('any file, good or bad: the same batches and the same error as openBars (property)', async () => {
    const row = (i: number, t: string, p: number) => `${t},${p},${p + 2},${p - 1},${p + 1},${i}`;
    const flaws = [
      'none',
      'not a number',
      'time not after',
      'high below low',
      'too few fields',
      'bad header',
    ] as const;
    let failed = 0;
    let several = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          // Unbiased (fast-check favours small values): files of several batches (4,096 bars
          // each), good or with a flaw anywhere, more often than files of a few rows.
          n: fc.oneof(
            { arbitrary: fc.noBias(fc.integer({ min: 0, max: 12_000 })), weight: 3 },
            { arbitrary: fc.integer({ min: 0, max: 40 }), weight: 1 },
          ),
          flaw: fc.oneof(fc.constant('none' as const), fc.constantFrom(...flaws)),
          at: fc.noBias(fc.double({ min: 0, max: 1, noNaN: true })),
          json: fc.boolean(),
          gzip: fc.boolean(),
          seconds: fc.boolean(),
          from: fc.option(fc.noBias(fc.integer({ min: 0, max: 3_000 })), { freq: 2 }),
          span: fc.option(fc.noBias(fc.integer({ min: 0, max: 12_000 })), { freq: 2 }),
        }),
        async (c) => {
          const at = Math.floor(c.at * c.n);
          const times = Array.from({ length: c.n }, (_, i) =>
            c.seconds ? String((T0 + i * MIN) / 1000) : String(T0 + i * MIN),
          );
          const cells = (i: number): string => {
            const p = 50 + (i % 13);
            if (i !== at || c.flaw === 'none' || c.flaw === 'bad header')
              return row(i, times[i]!, p);
            if (c.flaw === 'not a number') return `${times[i]},${p},x${p},${p - 1},${p},1`;
            if (c.flaw === 'time not after') return row(i, times[Math.max(0, i - 1)]!, p);
            if (c.flaw === 'high below low') return `${times[i]},${p},${p - 3},${p},${p},1`;
            return `${times[i]},${p},${p + 1}`;
          };
          const lines = Array.from({ length: c.n }, (_, i) => cells(i));
          const text = c.json
            ? `[${lines.map((l) => `[${l}]`).join(',\n')}]`
            : `${c.flaw === 'bad header' ? 'timestamp,open,high,low,shut' : 'timestamp,open,high,low,close'},volume\n${lines.join('\n')}\n`;
          const file = write(
            `p-${c.n}-${c.flaw.replace(/ /g, '')}${c.json ? '.json' : '.csv'}${c.gzip ? '.gz' : ''}`,
            c.gzip ? gzipSync(text) : text,
          );
          const range = {
            ...opts,
            ...(c.from === null ? {} : { from: T0 + c.from * MIN }),
            ...(c.span === null ? {} : { to: T0 + ((c.from ?? 0) + c.span) * MIN }),
          };
          const { threads, start } = watched();
          const off = await outcome(openBarsOffThread(file, range, { start, minBytes: 0 }));
          hot(off).toEqual(await outcome(openBars(file, range)));
          expect(threads.every((t) => t.exited)).toBe(true);
          if (off.error) failed++;
          if (off.batches.length > 1) several++;
        },
      ),
      {
        numRuns: 30,
        // Always among them: a good file of three batches, and one failing in its third batch.
        examples: [
          [
            {
              n: 9_000,
              flaw: 'none',
              at: 0,
              json: false,
              gzip: false,
              seconds: false,
              from: null,
              span: null,
            },
          ],
          [
            {
              n: 9_000,
              flaw: 'high below low',
              at: 0.95,
              json: true,
              gzip: true,
              seconds: true,
              from: null,
              span: null,
            },
          ],
        ],
      },
    );
    // Both kinds were met: streams that failed, and streams of several batches.
    expect(failed).toBeGreaterThan(0);
    expect(several).toBeGreaterThan(0);
  });

  it('keeps the thread at most CREDITS batches ahead, handing credits back CREDITS_BACK at a time', async () => {
    const file = write('long.csv', csv(100_000)); // 25 batches
    let taken = 0;
    const { threads, start } = watched(() => taken);
    for await (const _ of openBarsOffThread(file, opts, { start, minBytes: 0 })) {
      taken++;
      // Once it is as far ahead as its credits let it be (or has read everything), take the next.
      const back = taken - (taken % CREDITS_BACK);
      const t = threads[0]!;
      await until(t.worker, () => t.posted >= Math.min(back + CREDITS, 25));
    }
    expect(taken).toBe(25);
    expect(threads[0]!.ahead).toBe(CREDITS);
  });

  it('the reading thread posts no more batches than its credits, and stops when told', async () => {
    // 60,000 rows of ~40 bytes: the reader's first 1 MB chunk alone holds ~6 batches, which a
    // thread that ignored its credits would post before it could even hear `stop`.
    const file = write('credits.csv', csv(60_000));
    const { threads, start } = watched();
    start({ file, opts, credits: 1 });
    const t = threads[0]!;
    await until(t.worker, () => t.posted >= 1);
    t.worker.postMessage(2);
    await until(t.worker, () => t.posted >= 3);
    t.worker.postMessage('stop');
    await new Promise((resolve) => t.worker.once('exit', resolve));
    expect(t.posted).toBe(3);
  });

  it('ends the thread when the consumer stops early', async () => {
    const file = write('stop.csv', csv(30_000));
    const { threads, start } = watched();
    let batches = 0;
    for await (const batch of openBarsOffThread(file, opts, { start, minBytes: 0 })) {
      expect(batch).toHaveLength(4096);
      if (++batches === 2) break;
    }
    expect(threads[0]!.exited).toBe(true);
  });

  it('ends the thread when the strategy fails mid-run', async () => {
    const file = write('fail.csv', csv(30_000));
    const failsAt = defineStrategy({
      name: 'fails-at',
      params: {},
      init: () => ({ n: 0 }),
      onBar(ctx) {
        if (++ctx.state.n === 5_000) throw new TypeError('bad thing');
      },
    });
    const { threads, start } = watched();
    const run = await new BacktestEngine({
      instrument: instrument(),
      strategy: failsAt,
      cash: '1000',
    }).runBars(openBarsOffThread(file, opts, { start, minBytes: 0 }));
    expect(run.failure).toBeInstanceOf(StrategyError);
    expect(run.events).toBe(5_000);
    expect(threads[0]!.exited).toBe(true);
  });

  it('reads on this thread when no thread can start, or one dies before a word', async () => {
    const file = write('fallback.csv', csv(5_000));
    const here = await outcome(openBars(file, opts));
    const cannot = () => {
      throw new Error('no threads here');
    };
    hot(await outcome(openBarsOffThread(file, opts, { start: cannot, minBytes: 0 }))).toEqual(here);
    const dies = () => new Worker('throw new Error("dead on arrival")', { eval: true });
    hot(await outcome(openBarsOffThread(file, opts, { start: dies, minBytes: 0 }))).toEqual(here);
  });

  it('fails with DATA_READER_FAILED when the thread dies after its first batch', async () => {
    const file = write('dies.csv', csv(5_000));
    const code = `const { parentPort } = require('node:worker_threads');
      const none = new Float64Array(0);
      parentPort.postMessage({ kind: 'bars', columns: { length: 0, openTime: none, closeTime: none,
        open: none, high: none, low: none, close: none, volume: none } });
      throw new Error('out of luck');`;
    const off = await outcome(
      openBarsOffThread(file, opts, {
        start: () => new Worker(code, { eval: true }),
        minBytes: 0,
      }),
    );
    expect(off.batches).toEqual([[]]);
    expect(off.error).toMatchObject({ code: 'DATA_READER_FAILED' });
  });
});
