import type { JsonObject } from '../strategy/strategy-context.js';

/** Where a running strategy was: its state after the bar at `ts`, and the ids it used. */
export interface StrategySnapshot {
  readonly ts: number;
  readonly ordersMade: number;
  readonly state: JsonObject;
  /** The state of the strategy's seeded random source (`ctx.random()`), when saved. */
  readonly random?: readonly number[];
  /**
   * The order events the strategy had heard at its snapshot, as their place in the order
   * committed (`StoredOrderEvent.seq`): of its orders' events, those stored at or before it, and
   * none after. Those after it a restart shows it again. The node says it (the place of the last
   * event written before the strategy's state was taken: `OrderJournal.mark`); absent when it
   * cannot tell (then a restart tells them by their time), and on snapshots saved before stores
   * kept it.
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
  /**
   * Where the stored order events end now (the largest `StoredOrderEvent.seq`, 0: none): a node
   * asks once, before its recovery writes anything, for the place of what was stored before it
   * started (its snapshots' `eventsThrough` while it has written nothing). Optional: without it
   * a node saves no place.
   */
  eventsStored?(): Promise<number>;
}
