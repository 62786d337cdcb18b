import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { loadStrategy } from '../../../src/system/load-strategy.js';
import { reportText, runBacktest, type BacktestInput } from '../../../src/system/run-backtest.js';
import type { StrategyDefinition } from '../../../src/trading/strategy/define-strategy.js';
import { DATA } from '../../support/run-cli.js';
import { tempDir } from '../../support/temp-dir.js';

const dir = tempDir('kairos-colcache-');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let sma: StrategyDefinition<any, any, any>;

beforeAll(async () => {
  sma = await loadStrategy('examples/strategies/sma-cross.ts', path.join(dir, 'build'));
});

const settings = {
  cash: '100000',
  lot: '1',
  minNotional: '0',
  makerFee: '0.001',
  takerFee: '0.002',
  slippageBps: 3,
  latencyMs: 0,
  seed: 1,
  barIntervalMs: 60_000,
  allowShort: false,
};

function input(data: string, extra: Partial<BacktestInput['settings']> = {}): BacktestInput {
  return {
    data,
    strategy: async () => sma,
    params: { fast: '5', slow: '20', size: '10' },
    settings: { ...settings, ...extra },
  };
}

const text = async (i: BacktestInput) => reportText((await runBacktest(i)).report);

describe('a backtest from the columnar copy of its bar file', () => {
  const files = [
    path.join(DATA, 'backtrader/orcl-1995-2014.txt'),
    path.join(DATA, 'freqtrade/XRP_USDT_USDT-1h-futures.json.gz'),
    path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json'),
  ];

  it.each(files)(
    'writes the report of the file itself, built and then read back: %s',
    async (file) => {
      const cache = path.join(dir, `cache-${path.basename(file)}`);
      const plain = await text(input(file));
      expect(await text({ ...input(file), columnCache: cache })).toBe(plain);
      expect(readdirSync(cache).filter((f) => f.endsWith('.kbar'))).toHaveLength(1);
      expect(await text({ ...input(file), columnCache: cache })).toBe(plain);
    },
  );

  it('takes the rows of any from/to range as the reader does', async () => {
    const file = path.join(DATA, 'backtrader/orcl-1995-2014.txt');
    const cache = path.join(dir, 'cache-range');
    const start = Date.UTC(1995, 0, 1);
    const span = Date.UTC(2015, 0, 1) - start;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: span }),
        fc.integer({ min: 1, max: span }),
        async (at, length) => {
          const range = { from: start + at, to: start + at + length };
          const plain = await text(input(file, range)).catch((e: Error) => e.message);
          const cached = await text({ ...input(file, range), columnCache: cache }).catch(
            (e: Error) => e.message,
          );
          expect(cached).toBe(plain);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('builds the copy again when the file changes, and drops the old one', async () => {
    const file = path.join(dir, 'bars.csv');
    const cache = path.join(dir, 'cache-changed');
    const rows = readFileSync(path.join(DATA, 'backtrader/orcl-1995-2014.txt'), 'utf8')
      .trimEnd()
      .split('\n');
    writeFileSync(file, rows.slice(0, 400).join('\n'));
    const first = await text({ ...input(file), columnCache: cache });
    writeFileSync(file, `${rows.slice(0, 1200).join('\n')}\n`);
    const plain = await text(input(file));
    expect(plain).not.toBe(first);
    expect(await text({ ...input(file), columnCache: cache })).toBe(plain);
    // The earlier version's copy is gone; another file's copy stays.
    const other = path.join(dir, 'other.csv');
    writeFileSync(other, rows.slice(0, 300).join('\n'));
    await text({ ...input(other), columnCache: cache });
    expect(readdirSync(cache).filter((f) => f.endsWith('.kbar'))).toHaveLength(2);
  });

  it('refuses a bad row with the error the reader gives, and keeps no copy', async () => {
    const file = path.join(dir, 'bad.csv');
    const cache = path.join(dir, 'cache-bad');
    const rows = readFileSync(path.join(DATA, 'backtrader/orcl-1995-2014.txt'), 'utf8').split('\n');
    rows[3000] = rows[3000]!.replace(/,[0-9.]+,/, ',abc,');
    writeFileSync(file, rows.join('\n'));
    const plain = await runBacktest(input(file)).catch((e: Error) => e.message);
    expect(plain).toMatch(/bad\.csv:3001: field "open": is not a number/);
    await expect(runBacktest({ ...input(file), columnCache: cache })).rejects.toThrow(
      plain as string,
    );
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
  });

  it('refuses a trade file, naming the flag', async () => {
    const file = path.join(dir, 'trades.csv');
    copyFileSync(path.join(DATA, 'freqtrade/public_trades_list.csv'), file);
    await expect(
      runBacktest({ ...input(file), columnCache: path.join(dir, 'cache-trades') }),
    ).rejects.toThrow(/--cache keeps bar files; trades\.csv holds trades/);
  });
});
