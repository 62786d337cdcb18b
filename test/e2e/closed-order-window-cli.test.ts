import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/run-cli.js';
import { processSchema } from '../support/spawn-schema.js';
import { tempDir } from '../support/temp-dir.js';

const PROBE = 'test/fixtures/strategies/order-window-probe.ts';
const MINUTE = 60_000;
const tmp = () => tempDir('kairos-window-');
const MARKET = ['--symbol', 'BTC/X', '--lot', '0.001', '--cash', '1000000'];

/** The bar at which the probe first read its order as gone (`read <n> -`). */
const firstGone = (stdout: string) => Number(/read (\d+) -/.exec(stdout)?.[1]);

describe('the closed-order window reaches each command (KAIROS_CLOSED_ORDER_RETENTION_MS, --closed-order-retention-ms)', () => {
  // 20 one-minute candles, no gap (freqtrade JSON): bar n is n minutes after the first.
  const data = path.join(tmp(), 'BTC-1m.json');
  const t0 = Date.UTC(2026, 0, 1);
  writeFileSync(
    data,
    JSON.stringify(Array.from({ length: 20 }, (_, i) => [t0 + i * MINUTE, 100, 101, 99, 100, 10])),
  );

  it('backtest: a strategy reads its filled order for the flag window, and the report says it', () => {
    const run = (...extra: string[]) => {
      const out = tmp();
      const r = runCli(['backtest', PROBE, '--data', data, ...MARKET, '--out', out, ...extra], {
        KAIROS_HOME: tmp(),
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
      const [buy, sell] = report.fills as { side: string; ts: number }[];
      expect([buy!.side, sell!.side]).toEqual(['BUY', 'SELL']);
      return { heldMs: sell!.ts - buy!.ts, settings: report.settings };
    };
    const minute = run('--closed-order-retention-ms', '60000');
    expect(minute.heldMs).toBeLessThanOrEqual(3 * MINUTE);
    expect(minute.settings.closedOrderRetentionMs).toBe(60_000);
    const byDefault = run();
    expect(byDefault.heldMs).toBeGreaterThanOrEqual(10 * MINUTE);
    expect(byDefault.settings).not.toHaveProperty('closedOrderRetentionMs');
    const bad = runCli(['backtest', PROBE, '--data', data, '--closed-order-retention-ms', '10m']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--closed-order-retention-ms: must be an integer 60000-86400000 (ms: 1 minute to 1 day), was "10m"',
    );
  });

  it('live and serve take the flag too, checked before anything starts', () => {
    const rule = 'must be an integer 60000-86400000 (ms: 1 minute to 1 day)';
    const live = runCli(
      [
        'live',
        PROBE,
        '--exchange',
        'binance',
        '--symbol',
        'BTC/USDT',
        '--cash',
        '1',
        '--closed-order-retention-ms',
        '59999',
      ],
      { KAIROS_HOME: tmp() },
    );
    expect(live.code).toBe(2);
    expect(live.stderr).toContain(`--closed-order-retention-ms: ${rule}, was "59999"`);
    const serve = runCli(['serve', '--data', data, '--closed-order-retention-ms', '86400001'], {
      KAIROS_HOME: tmp(),
    });
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain(`--closed-order-retention-ms: ${rule}, was "86400001"`);
  });

  // Each paper run on a Postgres schema of its own (`processSchema`; a new store, as a new home
  // gives): the window is the subject, not the embedded store.
  const paperDbs = ['window_a', 'window_b', 'window_c'].map((n) => processSchema(n));
  it('paper: the node reads the variable, the flag wins over it, and kairos config shows it', () => {
    let runs = 0;
    const paper = (env: Record<string, string>, ...extra: string[]) => {
      const r = runCli(['paper', PROBE, '--data', data, '--speed', '0', ...MARKET, ...extra], {
        KAIROS_HOME: tmp(),
        ...paperDbs[runs++]!.env,
        ...env,
      });
      expect(r.code).toBe(0);
      return firstGone(r.stdout);
    };
    const minute = paper({ KAIROS_CLOSED_ORDER_RETENTION_MS: '60000' });
    expect(minute).toBeLessThanOrEqual(3);
    expect(
      paper({ KAIROS_CLOSED_ORDER_RETENTION_MS: '60000' }, '--closed-order-retention-ms', '300000'),
    ).toBe(minute + 4);
    // The default, 10 minutes, outlasts this run's first 10 bars.
    expect(paper({})).toBeGreaterThanOrEqual(10);
    const shown = runCli(['config'], {
      KAIROS_HOME: tmp(),
      KAIROS_CLOSED_ORDER_RETENTION_MS: '60000',
    });
    expect(JSON.parse(shown.stdout).closedOrderRetentionMs).toBe(60_000);
    const bad = runCli(['config'], { KAIROS_HOME: tmp(), KAIROS_CLOSED_ORDER_RETENTION_MS: '-1' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'KAIROS_CLOSED_ORDER_RETENTION_MS: must be an integer 60000-86400000 (ms: 1 minute to 1 day), was "-1"',
    );
  });
});
