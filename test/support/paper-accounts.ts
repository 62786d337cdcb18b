import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TradingAccounts, type TradingAccountsConfig } from '../../src/system/trading-accounts.js';
import type { Bar } from '../../src/trading/data/market-data.js';
import type { Instrument } from '../../src/trading/model/instrument.js';
import { freshStore } from './stores.js';

/** A home folder and a PGlite store for each test, and the server's accounts opened on them. */
export interface PaperAccountsRig {
  readonly dir: string;
  readonly store: Awaited<ReturnType<typeof freshStore>>;
  /** The accounts of one instance on the rig's store and home (more settings in `extra`). */
  open(extra?: Partial<TradingAccountsConfig>): Promise<TradingAccounts>;
}

/**
 * Gives each test of the calling `describe` a new home folder (`prefix`) and PGlite store on
 * `inst`'s paper venue; both go after the test.
 */
export function paperAccountsRig(prefix: string, inst: Instrument): PaperAccountsRig {
  const rig = { dir: '', store: null as unknown as PaperAccountsRig['store'] };
  beforeEach(async () => {
    rig.dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    rig.store = await freshStore('pglite');
  });
  afterEach(async () => {
    await rig.store.drop();
    rmSync(rig.dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return rig.dir;
    },
    get store() {
      return rig.store;
    },
    open: (extra = {}) =>
      TradingAccounts.open({
        db: rig.store.db,
        home: rig.dir,
        instrument: inst,
        venue: 'PAPER',
        sharedCash: '1000000',
        now: Date.now,
        ...extra,
      }),
  };
}

/** The `i`th one-minute bar of `inst` from 2023-11-14 22:13 UTC, all at 100. */
export function flatBar(inst: Instrument, i: number): Bar {
  return {
    instrumentId: inst.id,
    openTime: 1_700_000_000_000 + i * 60_000,
    closeTime: 1_700_000_060_000 + i * 60_000,
    open: 100,
    high: 100,
    low: 100,
    close: 100,
    volume: 1000,
  };
}
