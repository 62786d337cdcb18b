import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { optimizeCommand, type OptimizeFlags } from '../../../src/cli/optimize-command.js';
import { backtestSettingsOf } from '../../../src/cli/backtest-options.js';
import { loadStrategy } from '../../../src/system/load-strategy.js';
import { runBacktest } from '../../../src/system/run-backtest.js';
import { backtestFlags, type OptimizeWindow } from '../../../src/system/run-optimize.js';
import { DATA, runCli } from '../../support/run-cli.js';
import { tempDir } from '../../support/temp-dir.js';

const home = tempDir('kairos-opt-');
process.env.KAIROS_HOME = home;
const ORCL = path.join(DATA, 'backtrader/orcl-1995-2014.txt');
const SMA = 'examples/strategies/sma-cross.ts';
const BOOM = 'test/fixtures/strategies/boom.ts';

/** The flags as commander gives them by default, then `over`. */
const flags = (over: Partial<OptimizeFlags>): OptimizeFlags => ({
  data: ORCL,
  quote: 'USD',
  lot: '1',
  minNotional: '0',
  cash: '100000',
  commission: '0.001',
  slippageBps: '0',
  latencyMs: '0',
  buyFeeIn: 'quote',
  seed: '1',
  param: [],
  search: 'grid',
  objective: 'sharpe',
  trainRatio: '3',
  runTimeout: '30m',
  top: '5',
  progress: false,
  from: '2004-01-01',
  to: '2010-01-01',
  ...over,
});

const out = () => mkdtempSync(path.join(home, 'out-'));
let printed = '';
beforeEach(() => {
  printed = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((s) => {
    printed += String(s);
    return true;
  });
});
afterEach(() => jest.restoreAllMocks());

/**
 * Each strategy file bundled once for the file's in-process backtests (seven of sma-cross): the
 * same module every time, as a process's later imports of one bundle are.
 */
const loaded = new Map<string, ReturnType<typeof loadStrategy>>();
const strategyOf = (file: string) => {
  const known = loaded.get(file);
  if (known) return known;
  const made = loadStrategy(file, path.join(home, 'build'));
  loaded.set(file, made);
  return made;
};

/** What `kairos backtest` runs, in this process: the metrics of params on a window. */
async function backtestMetrics(
  file: string,
  params: string,
  w: Pick<OptimizeWindow, 'from' | 'to'>,
) {
  const settings = backtestSettingsOf({
    ...flags({}),
    from: w.from === null ? undefined : String(w.from),
    to: w.to === null ? undefined : String(w.to),
  });
  const { report } = await runBacktest({
    data: ORCL,
    strategy: () => strategyOf(file),
    params: Object.fromEntries(params.split(',').map((p) => p.split('='))),
    settings,
  });
  return report.metrics;
}

describe('kairos optimize', () => {
  const sweep = ['fast=5..25:10', 'slow=10,20,40'];

  it('gives byte-identical results with 1 and 2 workers; each best run is what `kairos backtest` gives', async () => {
    const [one, two] = [out(), out()];
    const a = await optimizeCommand(
      SMA,
      flags({ param: sweep, walkForward: '3', workers: '1', out: one }),
    );
    await optimizeCommand(SMA, flags({ param: sweep, walkForward: '3', workers: '2', out: two }));
    const text = readFileSync(path.join(one, 'results.json'), 'utf8');
    expect(readFileSync(path.join(two, 'results.json'), 'utf8')).toBe(text);
    expect(readFileSync(path.join(two, 'results.csv'), 'utf8')).toBe(
      readFileSync(path.join(one, 'results.csv'), 'utf8'),
    );
    const r = a.results;
    // fast ≥ slow: (15, 10), (25, 10), (25, 20) skipped, never run.
    expect(r.space).toMatchObject({ size: 9, skipped: 3, run: 6, failed: 0 });
    expect(r.results.map((x) => (x.params.fast as number) < (x.params.slow as number))).toEqual(
      Array(6).fill(true),
    );
    const wf = r.walkForward!;
    expect(wf.folds).toHaveLength(3);
    expect(printed).toMatch(/out of sample \(the 3 test windows chained\)/);
    // The objective (sharpe, the default) once on that line: the line shows Sharpe anyway.
    expect(printed).toMatch(/chained\): return -?[0-9.]+ %, Sharpe -?[0-9.]+, max DD/);
    // Each fold's best in its train window, and its run on the test window, as `kairos backtest`.
    for (const fold of wf.folds) {
      const best = fold.best!;
      const trainRuns = r.results.map((x) => x.folds![fold.fold - 1]!);
      expect(Math.max(...trainRuns.map((t) => t.objective as number))).toBe(best.train.objective);
      const list = Object.entries(best.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      expect(await backtestMetrics(SMA, list, fold.train)).toEqual(best.train.metrics);
      expect(await backtestMetrics(SMA, list, fold.test)).toEqual(best.test.metrics);
      expect(fold.test.from).toBe(fold.train.to);
    }
    // And once as the command itself, with the flags the results give for fold 2's test run.
    const fold = wf.folds[1]!;
    const report = path.join(out(), 'bt');
    const cli = runCli(
      [
        'backtest',
        SMA,
        '--data',
        ORCL,
        ...backtestFlags(fold.best!.params, fold.test).split(' '),
        '--out',
        report,
      ],
      { KAIROS_HOME: home },
    );
    expect(cli.stderr).toBe('');
    expect(JSON.parse(readFileSync(path.join(report, 'report.json'), 'utf8')).metrics).toEqual(
      fold.best!.test.metrics,
    );
  });

  it('ranks a plain sweep by the objective; the best is the full window’s backtest', async () => {
    const { results } = await optimizeCommand(
      SMA,
      flags({
        param: ['fast=5,10', 'slow=20,30'],
        objective: 'max-drawdown',
        workers: '2',
        out: out(),
      }),
    );
    const dd = results.results.map((x) => x.metrics!.maxDrawdown);
    expect(dd).toEqual([...dd].sort((p, q) => p - q));
    const best = results.results[0]!;
    const list = Object.entries(best.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    expect(
      await backtestMetrics(SMA, list, { from: Date.UTC(2004, 0, 1), to: Date.UTC(2010, 0, 1) }),
    ).toEqual(best.metrics);
    expect(printed).toContain(
      `best: kairos backtest … --params ${list} --from 2004-01-01T00:00:00.000Z`,
    );
  });

  it('records a combination whose strategy throws and completes the sweep', async () => {
    const dir = out();
    const { results } = await optimizeCommand(
      BOOM,
      flags({ param: ['after=5,100000'], workers: '2', out: dir }),
    );
    expect(results.space).toMatchObject({ run: 2, failed: 1 });
    expect(results.results[0]).toMatchObject({ rank: 1, params: { after: 100000 }, objective: 0 });
    expect(results.results[1]).toMatchObject({
      rank: 2,
      params: { after: 5 },
      objective: null,
      metrics: null,
      error: { code: 'STRATEGY_ERROR', phase: 'onBar', barIndex: 5, message: 'boom after 5 bars' },
    });
    expect(readFileSync(path.join(dir, 'results.csv'), 'utf8')).toContain(
      'all,2,0,5,,,,,,,,,,,,,,,,STRATEGY_ERROR,boom after 5 bars',
    );
  });

  it('records a combination whose thread dies, starts another and completes the sweep', async () => {
    const { results } = await optimizeCommand(
      'test/fixtures/strategies/thread-exit.ts',
      flags({ param: ['after=3,100000,4'], workers: '1', out: out() }),
    );
    expect(results.space).toMatchObject({ run: 3, failed: 2 });
    expect(results.results.map((r) => [r.params.after, r.error?.code ?? 'ok'])).toEqual([
      [100000, 'ok'],
      [3, 'OPTIMIZE_WORKER_EXITED'],
      [4, 'OPTIMIZE_WORKER_EXITED'],
    ]);
  });

  // Before --run-timeout this sweep never ended: the test's own limit makes it fail instead.
  it('ends a run past --run-timeout, records it, and the other runs are a sweep without it', async () => {
    const SPIN = 'test/fixtures/strategies/spin.ts'; // sma-cross; fast = 13 never returns
    const [one, two] = [out(), out()];
    const hung = { param: ['fast=5,13,10,20', 'slow=30'], runTimeout: '3s' };
    const { results } = await optimizeCommand(SPIN, flags({ ...hung, workers: '2', out: two }));
    expect(results.space).toMatchObject({ run: 4, failed: 1 });
    expect(results.results[3]).toMatchObject({
      rank: 4,
      params: { fast: 13 },
      objective: null,
      metrics: null,
      error: {
        code: 'OPTIMIZE_RUN_TIMEOUT',
        message: 'the run took longer than --run-timeout 3s; its worker thread was ended',
      },
    });
    // The same results whichever thread ran the hung combination.
    await optimizeCommand(SPIN, flags({ ...hung, workers: '1', out: one }));
    expect(readFileSync(path.join(one, 'results.json'), 'utf8')).toBe(
      readFileSync(path.join(two, 'results.json'), 'utf8'),
    );
    const without = await optimizeCommand(
      SPIN,
      flags({ param: ['fast=5,10,20', 'slow=30'], workers: '2', out: out() }),
    );
    expect(without.results.space).toMatchObject({ run: 3, failed: 0 });
    const figures = (rs: typeof results.results) =>
      rs.flatMap((r) => (r.error ? [] : [[r.rank, r.params, r.objective, r.metrics]]));
    expect(figures(results.results)).toEqual(figures(without.results.results));
  }, 120_000);

  it.each([
    [{ objective: 'sharp' }, /^--objective: must be one of sharpe, .*, was "sharp"$/],
    [{ search: 'grd' }, /^--search: must be grid or random, was "grd"$/],
    [{ search: 'random' }, /^--samples: required with --search random$/],
    [{ samples: '5' }, /^--samples: only with --search random$/],
    [{ search: 'random', samples: '0' }, /^--samples: must be an integer ≥ 1, was "0"$/],
    [{ walkForward: '0' }, /^--walk-forward: must be an integer ≥ 1, was "0"$/],
    [
      { walkForward: '2', trainRatio: '-1' },
      /^--train-ratio: must be a non-negative number, was "-1"$/,
    ],
    [{ workers: 'two' }, /^--workers: must be a non-negative integer, was "two"$/],
    [
      { runTimeout: 'soon' },
      /^--run-timeout: must be a duration like 30s, 10m or 2h, or none, was "soon"$/,
    ],
    [{ runTimeout: '0s' }, /^--run-timeout: must be a duration like 30s, 10m or 2h, or none/],
    [{ runTimeout: '25d' }, /^--run-timeout: must be at most 24d, or none, was "25d"$/],
    [{ param: ['fsat=3'] }, /^--param: unknown param "fsat" \(known: fast, slow, size\)$/],
    [{ param: ['fast=0..10:5'] }, /^param "fast": must be an integer ≥ 1, was 0$/],
    [
      { param: ['fast=30', 'slow=10'] },
      /^--param: every one of the 1 combinations breaks a lessThan rule$/,
    ],
    [{ walkForward: '50', from: '2009-12-01' }, /^--walk-forward 50: 22 bars are too few/],
    [
      { data: path.join(DATA, 'freqtrade/XRP_ETH-trades.json.gz') },
      /^--data: optimize runs on bar files; XRP_ETH-trades.json.gz holds trades$/,
    ],
  ])('refuses %p with an error naming the flag', async (over, message) => {
    await expect(
      optimizeCommand(SMA, flags({ param: ['fast=5,10'], ...over } as Partial<OptimizeFlags>)),
    ).rejects.toThrow(message);
  });
});
