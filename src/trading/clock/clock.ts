/** A named timer callback; it receives the time it was due. */
export type TimerCallback = (dueAt: number) => void;

/**
 * The only source of time for the domain: integer milliseconds since the epoch, UTC.
 * `SimClock` drives backtests; `LiveClock` reads the wall clock.
 *
 * @example
 * const now = clock.now();
 * clock.setTimer('rebalance', now + 60_000, () => rebalance());
 */
export interface Clock {
  /** The current time in ms. */
  now(): number;
  /** Schedules `callback` at `at` ms (replaces a timer of the same name). */
  setTimer(name: string, at: number, callback: TimerCallback): void;
  /** Cancels a timer; unknown names are ignored. */
  cancelTimer(name: string): void;
}
