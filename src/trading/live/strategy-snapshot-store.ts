import type { JsonObject } from '../strategy/strategy-context.js';

/** Where a running strategy was: its state after the bar at `ts`, and the ids it used. */
export interface StrategySnapshot {
  readonly ts: number;
  readonly ordersMade: number;
  readonly state: JsonObject;
  /** The state of the strategy's seeded random source (`ctx.random()`), when saved. */
  readonly random?: readonly number[];
  /**
   * Read back only (the store sets it when it saves): the order events stored by then, as their
   * place in the order committed (`StoredOrderEvent.seq`). Those after it the strategy had not
   * heard at its snapshot; absent on snapshots saved before stores kept it.
   */
  readonly eventsThrough?: number;
}

/**
 * The port that keeps strategy snapshots (`src/store` implements it), so a restarted node resumes
 * where it was without reusing a client order id.
 *
 * @example
 * await snapshots.save('sma', { ts, ordersMade: runner.ordersMade, state: runner.snapshot() });
 */
export interface StrategySnapshotStore {
  latest(strategyId: string): Promise<StrategySnapshot | null>;
  /**
   * The time of the first snapshot of a run: the close of the first bar it heard (null: none).
   * Optional: a store without it makes a resumed instance warm on as many bars as it may.
   */
  first?(strategyId: string): Promise<number | null>;
  save(strategyId: string, name: string, snapshot: StrategySnapshot): Promise<void>;
}
