import path from 'node:path';
import type { ObjectStore } from '../../src/cloud/object-store.js';
import type { Store } from '../../src/store/open-store.js';
import { BacktestJobs } from '../../src/system/backtest-jobs.js';
import type { BacktestThreadLimits } from '../../src/system/backtest-thread.js';
import { FileCatalog } from '../../src/system/file-catalog.js';
import { btcInstrument } from './paper-args.js';

/**
 * Backtest jobs over a test folder: `<dir>/strategies` (the catalog), `<dir>/data`, the feed
 * `<dir>/feed.json` (BTC/USDT) and builds in `<dir>/build`.
 */
export function folderJobs(
  db: Store['db'],
  dir: string,
  opts: {
    readonly maxQueued: number;
    readonly reports?: ObjectStore;
    readonly limits?: BacktestThreadLimits;
  },
): BacktestJobs {
  return new BacktestJobs({
    db,
    strategies: FileCatalog.strategies(path.join(dir, 'strategies')),
    data: FileCatalog.data(path.join(dir, 'data')),
    feed: { file: path.join(dir, 'feed.json'), instrument: btcInstrument() },
    buildDir: path.join(dir, 'build'),
    maxQueued: opts.maxQueued,
    now: Date.now,
    ...(opts.reports ? { reports: opts.reports } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
}
