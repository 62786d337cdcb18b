import path from 'node:path';
import type { Store } from '../../src/store/open-store.js';
import { OrderRepository } from '../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../src/store/strategy-snapshot-repository.js';
import { FileCatalog } from '../../src/system/file-catalog.js';
import { StrategyHost, type StrategyHostConfig } from '../../src/system/strategy-host.js';
import type { Bar } from '../../src/trading/data/market-data.js';
import { TradingCore } from '../../src/trading/live/trading-core.js';
import type { Instrument } from '../../src/trading/model/instrument.js';
import { PaperVenue } from '../../src/trading/venues/paper/paper-venue.js';

/** What a strategy-host test boots: the store, its folder (catalog, build, venue files), what it trades. */
export interface HostRigOptions {
  readonly store: Store;
  /** Holds `strategies/` (the catalog), `build/` and the paper venue's file. */
  readonly dir: string;
  /** The paper venue's file name in `dir` (one per run that must not share a venue). */
  readonly venue: string;
  readonly instrument: Instrument;
  readonly cash: Record<string, string>;
  /** More of the host's settings (Lambda, venue bars, alerts...). */
  readonly host?: Partial<StrategyHostConfig>;
}

/**
 * What `kairos serve` builds for the account `desk`: its core on a paper venue, and the strategy
 * host beside it; `play` feeds bars as the server does (core, host, settle, reconcile).
 */
export async function bootStrategyHost(o: HostRigOptions) {
  const { core } = await TradingCore.open({
    accountId: 'desk',
    instruments: [o.instrument],
    cash: o.cash,
    orders: new OrderRepository(o.store.db, 'desk'),
    venue: (deliver) =>
      new PaperVenue(
        path.join(o.dir, `${o.venue}.json`),
        { venue: 'PAPER', instruments: [o.instrument] },
        deliver,
      ),
  });
  const host = new StrategyHost({
    db: o.store.db,
    core,
    instrument: o.instrument,
    catalog: FileCatalog.strategies(path.join(o.dir, 'strategies')),
    snapshots: new StrategySnapshotRepository(o.store.db, 'desk'),
    buildDir: path.join(o.dir, 'build'),
    now: Date.now,
    ...o.host,
  });
  const play = async (some: readonly Bar[]) => {
    for (const bar of some) {
      core.onBar(bar);
      await host.onBar(bar);
      await core.settle();
      await core.reconcile();
    }
  };
  return { core, host, play };
}
