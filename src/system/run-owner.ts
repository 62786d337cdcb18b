import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/open-store.js';
import { OrderRepository } from '../store/order-repository.js';
import { StrategySnapshotRepository } from '../store/strategy-snapshot-repository.js';
import { ClientOrderIds } from '../trading/core/client-order-id.js';
import { KairosError } from '../trading/core/errors.js';

/** What a trading run is: its account, its strategy id and the one instrument it trades. */
export interface RunIdentity {
  readonly accountId: string;
  readonly strategyId: string;
  readonly instrumentId: string;
}

/**
 * Refuses, before anything is recovered or sent, a run that would mix its state with another
 * run's (DESIGN invariant 13): client order ids of its strategy id already made by another
 * account or strategy, snapshots of its strategy id in another account, or an account that
 * already trades another instrument. One `RUN_CLASH` line names the clash and the way out.
 *
 * @example
 * await checkRunOwner(store.db, { accountId: 'paper', strategyId: 'sma-cross', instrumentId: 'BTC/USDT' });
 */
export async function checkRunOwner(db: Store['db'], run: RunIdentity): Promise<void> {
  const orders = new OrderRepository(db, run.accountId);
  const tag = ClientOrderIds.tagOf(run.strategyId);
  const owner = await orders.idTagOwner(tag, run.strategyId);
  if (owner) {
    throw new KairosError(
      'RUN_CLASH',
      `strategy id "${run.strategyId}" makes client order ids ${tag}-N, already used by strategy "${owner.strategyId}" on account "${owner.accountId}": give this run another --strategy-id`,
    );
  }
  const others = await new StrategySnapshotRepository(db, run.accountId).otherAccounts(
    run.strategyId,
  );
  if (others.length > 0) {
    throw new KairosError(
      'RUN_CLASH',
      `strategy id "${run.strategyId}" already runs on account "${others[0]}": give this run another --strategy-id (or --account ${others[0]})`,
    );
  }
  const instrument = await orders.otherInstrument(run.instrumentId);
  if (instrument !== null) {
    throw new KairosError(
      'RUN_CLASH',
      `account "${run.accountId}" already trades ${instrument}, not ${run.instrumentId}: give this run another --account`,
    );
  }
}

/**
 * Claims a paper account's venue folder for `accountId` (folder names replace unsafe
 * characters, so `a/b` and `a_b` would share one): another account's folder is a `RUN_CLASH`.
 */
export function claimVenueFolder(dir: string, accountId: string): void {
  const file = path.join(dir, 'ACCOUNT');
  mkdirSync(dir, { recursive: true });
  if (existsSync(file)) {
    const owner = readFileSync(file, 'utf8');
    if (owner !== accountId) {
      throw new KairosError(
        'RUN_CLASH',
        `paper venue folder ${dir} belongs to account "${owner}", not "${accountId}": give this run another --account`,
      );
    }
  } else writeFileSync(file, accountId);
}
