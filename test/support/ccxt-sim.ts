import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Exchange } from 'ccxt';
import { MemoryBudget } from '../../src/scalability/rate-limit/memory-budget.js';
import type { RequestBudget } from '../../src/scalability/rate-limit/request-budget.js';
import { SeededRandom } from '../../src/trading/core/random.js';
import type { Bar } from '../../src/trading/data/market-data.js';
import type { Alert } from '../../src/trading/model/alert.js';
import {
  start,
  type BinanceSim,
  type BinanceSimOptions,
} from '../../src/simulators/binance/server.js';
import { createExchange } from '../../src/trading/venues/ccxt/exchange-factory.js';
import { ROOT, KAIROS_ARGV } from './run-cli.js';
import { until as waitFor } from './until.js';

export const MINUTE = 60_000;

/**
 * A simulator's options for a market the test moves by hand (`sim.market.step()`, `sim.advance`):
 * `bars` on BTC/USDT, the first `past` revealed, a million USDT and generous request weight.
 */
export function manualMarket(bars: Bar[], past: number, over: Partial<BinanceSimOptions> = {}) {
  return {
    port: 0,
    data: bars,
    symbol: 'BTC/USDT',
    filters: { tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001', minNotional: '10' },
    balances: { BTC: '0', USDT: '1000000' },
    preloadBars: past,
    weightPerMinute: 1_000_000,
    ...over,
  };
}

/**
 * Seeded 1m bars of a BTC-like market (prices with two decimals, volumes of a few BTC),
 * starting at `start` (default: three days ago, on a minute).
 */
export function syntheticBars(n: number, seed = 7, start?: number): Bar[] {
  const rng = new SeededRandom(seed);
  const t0 = start ?? Math.floor((Date.now() - 3 * 86_400_000) / MINUTE) * MINUTE;
  const bars: Bar[] = [];
  let price = 30_000;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  for (let i = 0; i < n; i++) {
    const open = r2(price);
    const close = r2(open * (1 + (rng.next() - 0.5) * 0.004));
    const high = r2(Math.max(open, close) * (1 + rng.next() * 0.001));
    const low = r2(Math.min(open, close) * (1 - rng.next() * 0.001));
    const volume = Math.round((1 + rng.next() * 9) * 1000) / 1000;
    bars.push({
      instrumentId: 'BTC/USDT',
      openTime: t0 + i * MINUTE,
      closeTime: t0 + (i + 1) * MINUTE,
      open,
      high,
      low,
      close,
      volume,
    });
    price = close;
  }
  return bars;
}

/** The synthetic market the simulators start with: a free port, 3,000 bars, 600 revealed. */
export function simMarket() {
  return {
    port: 0,
    data: syntheticBars(3000),
    symbol: 'BTC/USDT',
    filters: { tickSize: '0.01', stepSize: '0.0001', minQty: '0.001', minNotional: '10' },
    preloadBars: 600,
    balances: { BTC: '10000', USDT: '1000000000' },
  };
}

/** Starts the simulator on a free port with the synthetic market. */
export function startSim(over: Partial<BinanceSimOptions> = {}): Promise<BinanceSim> {
  return start({ ...simMarket(), ...over });
}

/**
 * The simulator as `kairos live` tests trade on it: bars every 100 ms, Binance's BTCUSDT lot
 * (0.00001) so the 0.1 % commission of a 0.01 buy, charged in BTC, is a whole lot and the strategy
 * can sell all it holds (docs/venues.md: dust below a lot), no BTC at the start.
 */
export function startLiveSim(over: Partial<BinanceSimOptions> = {}): Promise<BinanceSim> {
  return startSim({
    realtime: { speed: 600 },
    filters: { tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001', minNotional: '10' },
    balances: { BTC: '0', USDT: '1000000' },
    preloadBars: 100,
    // Its market runs 600x real time, and the node reconciles every bar: it advertises (and
    // enforces) a weight allowance to match, which the node budgets 80 % of.
    weightPerMinute: 200_000,
    ...over,
  });
}

/**
 * `startTestServer`'s options for a server whose live accounts trade on `sim`: the replay at 300x
 * over 3000 bars, each live account confirmed with the venue every 150 ms.
 */
export function liveServerOptions(sim: BinanceSim) {
  return {
    speed: 300,
    bars: 3000,
    venues: [{ id: 'binance', url: sim.url }],
    liveConfirmEveryMs: 150,
  };
}

/** sma-cross flags that trade every few bars on `startLiveSim`'s market. */
export const LIVE_ARGS: readonly string[] = [
  '--symbol',
  'BTC/USDT',
  '--params',
  'fast=3,slow=8,size=0.01',
  '--cash',
  '1000000',
  '--warmup',
  '20',
];

/** Waits for a condition, polling, with a deadline. */
export async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  await waitFor(cond, ms, what);
}

/**
 * A ccxt `binance` (REST, or pro) pointed at the simulator, behind a request budget; with the
 * default account's key pair unless `key` names another.
 */
export async function simExchange(
  sim: Pick<BinanceSim, 'url' | 'apiKey' | 'secret'>,
  over: {
    key?: { apiKey: string; secret: string };
    pro?: boolean;
    budget?: RequestBudget;
    now?: () => number;
    onAlert?: (a: Alert) => void;
    timeoutMs?: number;
  } = {},
): Promise<Exchange> {
  const { exchange } = await createExchange({
    exchangeId: 'binance',
    apiKey: over.key?.apiKey ?? sim.apiKey,
    secret: over.key?.secret ?? sim.secret,
    exchangeUrl: sim.url,
    pro: over.pro ?? false,
    timeoutMs: over.timeoutMs ?? 5000,
    rateLimitMs: 1,
    budget: {
      budget: over.budget ?? new MemoryBudget({ rule: { capacity: 100_000, intervalMs: 60_000 } }),
      now: over.now,
      onAlert: over.onAlert,
    },
  });
  return exchange;
}

/**
 * `kairos live` (or another `command`) of sma-cross (or `strategy`) against the simulator, as a process; its
 * output is collected. The simulator's keys are in EXCHANGE_* unless `extraEnv` overrides them
 * (a key set to undefined is removed). The store is the embedded one under `home`, unless
 * `extraEnv` sets DATABASE_URL.
 */
export function spawnLive(
  sim: Pick<BinanceSim, 'url' | 'apiKey' | 'secret'>,
  home: string,
  args: readonly string[],
  extraEnv: NodeJS.ProcessEnv = {},
  { command = 'live', strategy = 'examples/strategies/sma-cross.ts', exchange = 'binance' } = {},
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EXCHANGE_API_KEY: sim.apiKey,
    EXCHANGE_SECRET: sim.secret,
    ...extraEnv,
    KAIROS_HOME: home,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  // The embedded store, so a test can read it once the node stopped; unless `extraEnv` names a
  // database (a test that reads the store while the node runs).
  if (extraEnv.DATABASE_URL === undefined) delete env.DATABASE_URL;
  const child = spawn(
    process.execPath,
    [...KAIROS_ARGV, command, strategy, '--exchange', exchange, '--exchange-url', sim.url, ...args],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Writes bars as a freqtrade JSON candle file (what `kairos venue simulate --data` reads). */
export function writeBarsFile(file: string, bars: readonly Bar[]): string {
  writeFileSync(
    file,
    JSON.stringify(bars.map((b) => [b.openTime, b.open, b.high, b.low, b.close, b.volume])),
  );
  return file;
}
