import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadBars } from '../../src/simulators/binance/load-bars.js';
import { start, type BinanceSim } from '../../src/simulators/binance/server.js';
import {
  CCXT_EXCHANGE_IDS,
  CCXT_PRO_EXCHANGE_IDS,
} from '../../src/trading/venues/ccxt/exchange-ids.js';
import { DATA, ROOT, runCliAsync } from '../support/run-cli.js';

// A process that connects to a venue loads that exchange's ccxt modules, not all of ccxt
// (src/trading/venues/ccxt/exchange-modules.ts; bin/build.mjs bundles one entry per exchange
// class into dist/vendor/ccxt/).

const VENDOR = path.join(ROOT, 'dist', 'vendor');

/**
 * The ccxt modules among loaded files: `ccxt` for all of it (its index), else the exchange ids
 * (`pro/<id>` for a ccxt.pro class), from dist/vendor/ (built) or ccxt's own files (sources).
 */
function ccxtModules(urls: readonly string[]): string[] {
  const found = new Set<string>();
  for (const url of urls) {
    if (!url.startsWith('file:')) continue;
    const file = fileURLToPath(url).split(path.sep).join('/');
    if (/\/dist\/vendor\/ccxt\.js$|\/node_modules\/ccxt\/js\/ccxt\.js$/.test(file))
      found.add('ccxt');
    const m = /\/(?:dist\/vendor\/ccxt|node_modules\/ccxt\/js\/src)\/((?:pro\/)?([^/]+))\.js$/.exec(
      file,
    );
    if (m && CCXT_EXCHANGE_IDS.has(m[2]!)) found.add(m[1]!);
  }
  return [...found].sort();
}

describe('a kairos process that connects to Binance', () => {
  let sim: BinanceSim;
  let home: string;
  beforeAll(async () => {
    const { bars } = await loadBars(path.join(DATA, 'freqtrade/UNITTEST_BTC-1m.json'), 'BTC/USDT');
    sim = await start({ port: 0, data: bars.slice(0, 300), symbol: 'BTC/USDT', preloadBars: 200 });
    home = mkdtempSync(path.join(tmpdir(), 'kairos-ccxt-modules-'));
  });
  afterAll(async () => {
    await sim.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("loads Binance's ccxt module, not all of ccxt nor any other exchange's", async () => {
    const log = path.join(home, 'loaded.log');
    const hook = pathToFileURL(path.join(ROOT, 'test/support/log-loaded-modules.mjs')).href;
    const r = await runCliAsync(
      [
        'data',
        'download',
        '--exchange',
        'binance',
        '--symbol',
        'BTC/USDT',
        '--timeframe',
        '1m',
        '--since',
        '2017-11-04',
        '--exchange-url',
        sim.url,
      ],
      {
        KAIROS_HOME: home,
        KAIROS_LOADED_MODULES_LOG: log,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${hook}`.trim(),
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\b200 new candles\b/);
    expect(ccxtModules(readFileSync(log, 'utf8').split('\n'))).toEqual(['binance']);
  });
});

describe('the built per-exchange modules (dist/vendor/ccxt/)', () => {
  it("are one per ccxt class, each the class of dist/vendor/ccxt.js (one copy of ccxt's base classes)", () => {
    if (!existsSync(path.join(VENDOR, 'packages.json')))
      throw new Error('dist/ is not built: npm run build');
    // In a process of its own: the bundles as a `kairos` process loads them, not through Jest.
    const code = `
      const url = (f) => ${JSON.stringify(pathToFileURL(VENDOR).href)} + '/' + f;
      const ccxt = (await import(url('ccxt.js'))).default;
      const out = { rest: [], pro: [], instance: null };
      for (const id of ccxt.exchanges)
        if ((await import(url('ccxt/' + id + '.js'))).default === ccxt[id]) out.rest.push(id);
      for (const id of ccxt.pro.exchanges)
        if ((await import(url('ccxt/pro/' + id + '.js'))).default === ccxt.pro[id]) out.pro.push(id);
      const ex = new (await import(url('ccxt/pro/okx.js'))).default();
      let err;
      try { ex.checkRequiredCredentials(); } catch (e) { err = e; }
      out.instance = [ex instanceof ccxt.Exchange, err instanceof ccxt.AuthenticationError];
      process.stdout.write(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      rest: [...CCXT_EXCHANGE_IDS],
      pro: [...CCXT_PRO_EXCHANGE_IDS],
      instance: [true, true],
    });
  });
});
