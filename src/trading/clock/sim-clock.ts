import { InvariantError } from '../core/errors.js';
import type { Clock, TimerCallback } from './clock.js';

interface Timer {
  readonly name: string;
  readonly at: number;
  readonly seq: number;
  readonly callback: TimerCallback;
}

/**
 * A clock moved by the backtest engine. `advanceTo` fires due timers in time order (ties in
 * the order they were set) with the clock set to each timer's time; time never goes back.
 *
 * @example
 * const clock = new SimClock(0);
 * clock.setTimer('t', 5, (at) => console.log(at));
 * clock.advanceTo(10); // logs 5
 */
export class SimClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<string, Timer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(name: string, at: number, callback: TimerCallback): void {
    this.#timers.set(name, { name, at: Math.max(at, this.#now), seq: this.#seq++, callback });
  }

  cancelTimer(name: string): void {
    this.#timers.delete(name);
  }

  /** Moves time forward to `to`, firing every timer due on the way. */
  advanceTo(to: number): void {
    if (to < this.#now) {
      throw new InvariantError(
        'CLOCK_BACKWARDS',
        `clock cannot move from ${this.#now} back to ${to}`,
      );
    }
    if (this.#timers.size > 0) {
      for (let t = this.#nextDue(to); t; t = this.#nextDue(to)) {
        this.#timers.delete(t.name);
        this.#now = t.at;
        t.callback(t.at);
      }
    }
    this.#now = to;
  }

  #nextDue(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers.values()) {
      if (t.at <= limit && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)))
        best = t;
    }
    return best;
  }
}
