import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { byteDiff } from '../support/bytes.js';
import { DATA, runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

const tmp = () => tempDir('kairos-bt-');
const SMA = 'examples/strategies/sma-cross.ts';

describe('kairos backtest (as a process)', () => {
  const orcl = path.join(DATA, 'backtrader/orcl-1995-2014.txt');

  it('runs sma-cross on ORCL, prints a summary and writes both reports', () => {
    const out = tmp();
    const r = runCli([
      'backtest',
      SMA,
      '--data',
      orcl,
      '--cash',
      '100000',
      '--params',
      'fast=10,slow=30,size=100',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/total return/);
    expect(r.stdout).toMatch(/Sharpe/);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.period.bars).toBe(5036);
    // The daily bars' own dates (before: each bar's close, 1995-01-04 → 2015-01-01).
    expect(r.stdout).toContain('1995-01-03 → 2014-12-31 (5036 daily bars)');
    expect([report.period.from, report.period.to, report.period.barMs]).toEqual([
      Date.UTC(1995, 0, 3),
      Date.UTC(2014, 11, 31),
      86_400_000,
    ]);
    expect(report.parameters).toEqual({ fast: 10, slow: 30, size: '100' });
    expect(report.fills.length).toBeGreaterThan(10);
    for (const f of report.fills) {
      expect(typeof f.price).toBe('string');
      expect(f.quantity).toBe('100');
      expect(f.fee).toMatch(/^\d+(\.\d+)?$/);
    }
    // Fees are exactly price × quantity × 0.001 (taker) for market orders.
    const f0 = report.fills[0];
    expect(Number(f0.fee)).toBeCloseTo(Number(f0.price) * 100 * 0.001, 10);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('LightweightCharts');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=["']https?:/);
  });

  it("charges a buy's fee in the base received with --buy-fee-in base, as Binance does", () => {
    const out = tmp();
    const r = runCli([
      'backtest',
      SMA,
      '--data',
      orcl,
      '--params',
      'fast=10,slow=30,size=100',
      '--buy-fee-in',
      'base',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.settings.buyFeeIn).toBe('base');
    const [buy, sell] = report.fills;
    expect(buy).toMatchObject({ side: 'BUY', quantity: '100', fee: '0.1', feeCurrency: 'ORCL' });
    // The position sold is what the buy left after its fee, on the lot grid.
    expect(sell).toMatchObject({ side: 'SELL', quantity: '99', feeCurrency: 'USD' });
    const bad = runCli(['backtest', SMA, '--data', orcl, '--buy-fee-in', 'btc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--buy-fee-in: must be quote or base, was btc/);
  });

  it("reads adjusted prices with --adjust-close: backtrader's quickstart SMA(15) result", () => {
    const out = tmp();
    const flags = '--adjust-close --from 2000-01-01 --to 2001-01-01 --cash 1000 --commission 0';
    const strategy = 'examples/strategies/close-above-sma.ts';
    const r = runCli(['backtest', strategy, '--data', orcl, ...flags.split(' '), '--out', out]);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.settings).toMatchObject({ tick: '0.01', prices: 'adj-close' });
    // backtrader 1.9.78.123 on this file: BUY EXECUTED 2000-01-26 at 25.24; final 975.60.
    expect(report.fills[0]).toMatchObject({ ts: Date.UTC(2000, 0, 26), price: '25.24' });
    expect(report.metrics.endEquity).toBe('975.6');
  });

  it('gives byte-identical reports on two runs, the second from the columnar copy (--cache)', () => {
    const a = tmp();
    const b = tmp();
    const home = tmp();
    const args = [
      'backtest',
      SMA,
      '--data',
      orcl,
      '--params',
      'fast=5,slow=20,size=50',
      '--slippage-bps',
      '5',
      '--seed',
      '7',
    ];
    expect(runCli([...args, '--out', a]).code).toBe(0);
    expect(runCli([...args, '--out', b, '--cache'], { KAIROS_HOME: home }).code).toBe(0);
    expect(readdirSync(path.join(home, 'cache', 'bars'))).toEqual([
      expect.stringMatching(/^[0-9a-f]{16}-[0-9a-f]{16}\.kbar$/),
    ]);
    for (const report of ['report.json', 'report.html'])
      expect(byteDiff(readFileSync(path.join(a, report)), readFileSync(path.join(b, report)))).toBe(
        'identical',
      );
  });

  it('runs on freqtrade 1m candles and on gzipped trade ticks', () => {
    const out = tmp();
    const r1 = runCli([
      'backtest',
      SMA,
      '--data',
      path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json'),
      '--cash',
      '100',
      '--params',
      'fast=10,slow=30,size=100',
      '--out',
      out,
    ]);
    expect(r1.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')).period.bars).toBe(13681);
    const out2 = tmp();
    const r2 = runCli([
      'backtest',
      'examples/strategies/trade-momentum.ts',
      '--data',
      path.join(DATA, 'freqtrade/XRP_ETH-trades.json.gz'),
      '--cash',
      '10',
      '--params',
      'size=100',
      '--out',
      out2,
    ]);
    expect(r2.stderr).toBe('');
    expect(r2.code).toBe(0);
    const rep = JSON.parse(readFileSync(path.join(out2, 'report.json'), 'utf8'));
    expect(rep.fills.length).toBeGreaterThan(0);
    expect(rep.instrumentId).toBe('XRP/ETH');
  });

  it.each([
    [['backtest', 'nope.ts', '--data', orcl], /strategy file nope\.ts: not found/],
    [['backtest', SMA, '--data', 'missing.csv'], /data file missing\.csv: not found/],
    [
      ['backtest', SMA, '--data', orcl, '--params', 'fsat=3'],
      /unknown param "fsat" \(known: fast, slow, size\)/,
    ],
    [['backtest', SMA, '--data', orcl, '--params', 'fast=abc'], /param "fast": must be an integer/],
    [
      ['backtest', SMA, '--data', orcl, '--from', '2010-01-01', '--to', '2005-01-01'],
      /--from 2010-01-01 is not before --to 2005-01-01/,
    ],
    [['backtest', SMA, '--data', orcl, '--from', '2030-01-01'], /no bars or trades|no rows/],
    [['backtest', SMA, '--data', orcl, '--export', 'other'], /no strategy export "other"/],
    [['backtest', SMA, '--data', orcl, '--cash', '-5'], /--cash: must be a positive decimal/],
  ])('bad input %j exits 2 with one line naming the problem', (args, message) => {
    const r = runCli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a strategy that throws: one line (strategy, bar, time, error, file:line), a partial report marked failed, exit 3', () => {
    const out = tmp();
    writeFileSync(path.join(out, 'report.json'), 'previous good report');
    const r = runCli([
      'backtest',
      'test/fixtures/strategies/boom.ts',
      '--data',
      orcl,
      '--params',
      'after=100',
      '--out',
      out,
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      'kairos: strategy boom failed in onBar at bar 100 (1995-05-26T00:00:00Z): boom after 100 bars (test/fixtures/strategies/boom.ts:10) [STRATEGY_ERROR]\n',
    );
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.failure).toMatchObject({ code: 'STRATEGY_ERROR', phase: 'onBar', barIndex: 100 });
    expect(report.period.bars).toBe(100);
    expect(r.stdout).toMatch(/partial reports \(run FAILED\)/);
    // A parameter refusal is one parameter line and exit 2.
    const p = runCli(['backtest', SMA, '--data', orcl, '--params', 'fast=30,slow=10']);
    expect([p.code, p.stderr]).toEqual([
      2,
      'kairos: param "fast": must be less than "slow" (10), was 30 [PARAM_INVALID]\n',
    ]);
  });
});
