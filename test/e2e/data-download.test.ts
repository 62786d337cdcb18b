import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Bar } from '../../src/trading/data/market-data.js';
import { loadBars } from '../../src/simulators/binance/load-bars.js';
import { start, type BinanceSim } from '../../src/simulators/binance/server.js';
import { DATA, ROOT, runCliAsync as runCli, KAIROS_ARGV } from '../support/run-cli.js';
import { recordSharedBan } from '../support/shared-ban.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from '../integration/scalability/services.js';

const FILE = path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json');

/** Rows in a candle file, read leniently (a killed download may leave a torn last row). */
function rowsIn(file: string): number[][] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!.split(',').map(Number));
}

describe('kairos data download', () => {
  let sim: BinanceSim;
  let bars: Bar[];
  let home: string;
  beforeAll(async () => {
    bars = (await loadBars(FILE, 'BTC/USDT')).bars;
    sim = await start({ port: 0, data: bars, symbol: 'BTC/USDT', preloadBars: bars.length - 1 });
    home = mkdtempSync(path.join(tmpdir(), 'kairos-download-'));
  });
  afterAll(async () => {
    await sim.close();
    rmSync(home, { recursive: true, force: true });
  });

  const download = ['data', 'download', '--exchange', 'binance', '--symbol', 'BTC/USDT'];
  const args = (extra: string[] = []) => [
    ...download,
    '--timeframe',
    '1m',
    '--since',
    '2017-11-04',
    '--exchange-url',
    sim.url,
    ...extra,
  ];

  it('downloads, is killed, resumes: every bar once, then kairos backtest reads the file', async () => {
    const out = path.join(home, 'data', 'binance', 'BTC_USDT-1m.json');
    const child = spawn(process.execPath, [...KAIROS_ARGV, ...args(['--limit', '200'])], {
      cwd: ROOT,
      env: { ...process.env, KAIROS_HOME: home },
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    const deadline = Date.now() + 20_000;
    while (rowsIn(out).length < 1000 && child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL'); // killed mid-download, not finished
    const partial = rowsIn(out).length;
    expect(partial).toBeGreaterThanOrEqual(1000);
    expect(partial).toBeLessThan(bars.length - 1);

    const resumed = await runCli(args(['--limit', '1000']), { KAIROS_HOME: home });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const n = bars.length - 1; // the simulator reveals all but the last bar
    expect(resumed.stdout).toContain(`${n - partial} new candles; ${n} in ${out}`);
    const rows = JSON.parse(readFileSync(out, 'utf8')) as number[][];
    expect(rows.map((r) => r[0])).toEqual(bars.slice(0, n).map((b) => b.openTime));
    expect(rows[4321]).toEqual(
      [bars[4321]!].map((b) => [b.openTime, b.open, b.high, b.low, b.close, b.volume])[0],
    );

    const bt = await runCli(['backtest', 'examples/strategies/sma-cross.ts', '--data', out], {
      KAIROS_HOME: home,
    });
    expect(bt.code).toBe(0);
    expect(bt.stdout).toMatch(/sma-cross on BTC\/USDT/);
    expect(bt.stdout).toContain(`(${n} bars)`);
  });

  /** The first `n` candles into `file` in KAIROS_HOME. */
  const firstCandles = (file: string, n: number) => [
    ...download,
    '--since',
    new Date(bars[0]!.openTime).toISOString(),
    '--until',
    new Date(bars[n]!.openTime).toISOString(),
    '--out',
    path.join(home, file),
  ];

  it('takes the venue URL from EXCHANGE_URL, and --exchange-url wins over it', async () => {
    const window = (file: string) => firstCandles(file, 100);
    const [fromEnv, flagWins] = await Promise.all([
      runCli(window('env.json'), { KAIROS_HOME: home, EXCHANGE_URL: sim.url }),
      // Nothing listens on port 9: the download only succeeds if the flag is used.
      runCli([...window('flag.json'), '--exchange-url', sim.url], {
        KAIROS_HOME: home,
        EXCHANGE_URL: 'http://127.0.0.1:9',
      }),
    ]);
    expect([fromEnv.stderr, flagWins.stderr]).toEqual(['', '']);
    expect([fromEnv.code, flagWins.code]).toEqual([0, 0]);
    expect(rowsIn(path.join(home, 'env.json'))).toHaveLength(100);
    expect(rowsIn(path.join(home, 'flag.json'))).toHaveLength(100);
  });

  it('names a bad flag or an unknown market', async () => {
    const [tf, market, exchange] = await Promise.all([
      runCli(args(['--timeframe', '7m']), { KAIROS_HOME: home }),
      runCli(
        args().map((a) => (a === 'BTC/USDT' ? 'ETH/BTC' : a)),
        { KAIROS_HOME: home },
      ),
      runCli([
        'data',
        'download',
        '--exchange',
        'nope',
        '--symbol',
        'A/B',
        '--since',
        '2020-01-01',
      ]),
    ]);
    expect([tf.code, market.code, exchange.code]).toEqual([2, 2, 2]);
    expect(tf.stderr).toMatch(/--timeframe: binance offers 1s, 1m, 3m/);
    expect(market.stderr).toMatch(/--symbol: binance has no market ETH\/BTC/);
    expect(exchange.stderr).toMatch(/exchange "nope": not a ccxt exchange id/);
  });

  /**
   * Bans met by the download (`docs/venues.md`, "Downloading history"): each lasts 2 s. Until
   * 2026-12-07 its budget lived in the process only (a ban another process recorded in Redis did
   * not stop it), and a 418 to its first `loadMarkets` ended it (ccxt kept the failed load).
   */
  describe('during a ban', () => {
    const BAN_MS = 2_000;
    const SHARED_BAN_MS = 8_000;
    const prefix = uniquePrefix();
    let redis: Redis;
    let cleanup: () => Promise<void>;
    beforeAll(async () => ({ redis, cleanup } = await testRedis(prefix)));
    afterAll(async () => {
      sim.faults.reset();
      await cleanup?.();
    });
    const env = () => ({
      KAIROS_HOME: home,
      REDIS_URL: TEST_REDIS_URL,
      KAIROS_REDIS_PREFIX: prefix,
    });
    const sent = () => [...sim.state.requests.values()].reduce((a, b) => a + b, 0);
    /** 1000 candles from the first, 200 a request: the file an unbanned run writes. */
    const window = (file: string) => [
      ...firstCandles(file, 1000),
      '--limit',
      '200',
      '--exchange-url',
      sim.url,
    ];
    const unbanned = () =>
      bars.slice(0, 1000).map((b) => [b.openTime, b.open, b.high, b.low, b.close, b.volume]);

    it('a ban another process recorded in Redis: nothing sent until it ends, then a 418 mid-way: the same file', async () => {
      // Long enough to outlast the process's start on a loaded machine (a 2 s ban once ended
      // before the download read it, so it never waited), else nothing here is tested.
      const endsAt = Date.now() + SHARED_BAN_MS;
      await recordSharedBan(redis, prefix, endsAt);
      // Once the shared ban is over: markets, time and one page answered, then a 418 for 2 s.
      sim.faults.set({ rateLimit: { after: 3, tooMany: 0, banMs: BAN_MS } });
      const before = sent();
      let firstSentAt: number | null = null;
      let done = false;
      const run = runCli(window('banned.json'), env()).finally(() => (done = true));
      while (!done) {
        if (firstSentAt === null && sent() > before) firstSentAt = Date.now();
        await new Promise((r) => setTimeout(r, 5));
      }
      const r = await run;
      expect(firstSentAt).not.toBeNull();
      expect(firstSentAt!).toBeGreaterThanOrEqual(endsAt); // nothing reached the venue during it
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/IP banned until .*: waiting \d+ s before starting/);
      expect(sim.faults.stats.banned).toBeGreaterThanOrEqual(1); // the 418 mid-way was met
      expect(r.stderr).toMatch(/IP banned until .*; waiting/);
      expect(r.stdout).toContain('1000 new candles');
      expect(JSON.parse(readFileSync(path.join(home, 'banned.json'), 'utf8'))).toEqual(unbanned());
    }, 60_000);

    it('a 418 to its first loadMarkets: waits it out, loads them again and completes', async () => {
      sim.faults.set({ rateLimit: { after: 0, tooMany: 0, banMs: BAN_MS } });
      const banned = sim.faults.stats.banned;
      const r = await runCli(window('first-418.json'), env());
      expect(sim.faults.stats.banned).toBe(banned + 1);
      expect(r.stderr).toMatch(/IP banned until .*: waiting \d+ s before starting/);
      expect(r.code).toBe(0);
      expect(JSON.parse(readFileSync(path.join(home, 'first-418.json'), 'utf8'))).toEqual(
        unbanned(),
      );
    }, 60_000);
  });
});
