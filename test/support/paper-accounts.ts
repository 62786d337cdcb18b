import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TradingAccounts, type TradingAccountsConfig } from '../../src/system/trading-accounts.js';
import type { Bar } from '../../src/trading/data/market-data.js';
import type { Instrument } from '../../src/trading/model/instrument.js';
import { anyStore } from './stores.js';

/** A home folder and a store for each test, and the server's accounts opened on them. */
export interface PaperAccountsRig {
  readonly dir: string;
  readonly store: Awaited<ReturnType<typeof anyStore>>;
  /** The accounts of one instance on the rig's store and home (more settings in `extra`). */
  open(extra?: Partial<TradingAccountsConfig>): Promise<TradingAccounts>;
}

/**
 * Gives each test of the calling `describe` a new home folder (`prefix`) and store on
 * `inst`'s paper venue; both go after the test. The store is a new Postgres schema (`anyStore()`:
 * the accounts, not the dialect, are the subject; PGlite with `KAIROS_TEST_STORE=pglite`).
 * `storePerFile`: one store for the describe's tests (opened before the first, dropped after the
 * last), each test still its own home: for tests whose accounts restart on the store another
 * test left.
 */
export function paperAccountsRig(
  prefix: string,
  inst: Instrument,
  { storePerFile = false }: { storePerFile?: boolean } = {},
): PaperAccountsRig {
  const rig = { dir: '', store: null as unknown as PaperAccountsRig['store'] };
  const [openStore, closeStore] = storePerFile ? [beforeAll, afterAll] : [beforeEach, afterEach];
  openStore(async () => {
    rig.store = await anyStore();
  });
  closeStore(async () => {
    await rig.store?.drop();
  });
  beforeEach(() => {
    rig.dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => {
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
