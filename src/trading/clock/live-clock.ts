import type { Clock, TimerCallback } from './clock.js';

/**
 * The wall clock, for paper and live trading. The one place in the domain that reads it. Its
 * time never runs behind the market it trades: `advanceTo` (a bar's close, a trade's time) lifts
 * it when the venue's market is ahead of the local clock (a venue replaying faster than real
 * time, a local clock that is slow), and it never goes back.
 *
 * @example
 * const clock = new LiveClock();
 * clock.setTimer('heartbeat', clock.now() + 1000, () => ping());
 */
export class LiveClock implements Clock {
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #floor = -Infinity;

  now(): number {
    const wall = Date.now();
    return wall > this.#floor ? wall : this.#floor;
  }

  /** The market has reached `to`: the clock reads at least that from now on. */
  advanceTo(to: number): void {
    if (to > this.#floor) this.#floor = to;
  }

  setTimer(name: string, at: number, callback: TimerCallback): void {
    this.cancelTimer(name);
    const handle = setTimeout(
      () => {
        this.#timers.delete(name);
        callback(at);
      },
      Math.max(0, at - this.now()),
    );
    handle.unref?.();
    this.#timers.set(name, handle);
  }

  cancelTimer(name: string): void {
    const handle = this.#timers.get(name);
    if (handle !== undefined) clearTimeout(handle);
    this.#timers.delete(name);
  }

  /** Cancels every timer (on shutdown). */
  dispose(): void {
    for (const name of [...this.#timers.keys()]) this.cancelTimer(name);
  }
}
