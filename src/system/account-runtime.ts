import type { ApiAccount } from '../api/deps.js';
import type { Fence } from '../store/lease-repository.js';
import type { OrderRepository } from '../store/order-repository.js';
import type { StrategySnapshotRepository } from '../store/strategy-snapshot-repository.js';
import type { TradingCore } from '../trading/live/trading-core.js';
import type { TradingDesk } from '../trading/live/trading-desk.js';

/** An account's lease as its core is opened with it: the journal's fence and the token. */
export interface HeldLease {
  readonly fence: Fence;
  readonly token: number;
}

/** An account as the server knows it: a user's, or the shared one (no owner). */
export type AccountInfo = ApiAccount;

/** One account's trading: its core (OMS, ledger, paper venue), order entry and journal. */
export interface AccountRuntime {
  readonly accountId: string;
  /** Paper: the replay drives it; live: its venue's market and its own confirmation timer. */
  readonly mode: 'paper' | 'live';
  readonly core: TradingCore;
  readonly desk: TradingDesk;
  readonly orders: OrderRepository;
  readonly snapshots: StrategySnapshotRepository;
}
