import type { Clock, TimerCallback } from './clock.js';

/**
 * The wall clock, for paper and live trading. The one place in the domain that reads it.
 *
 * @example
 * const clock = new LiveClock();
 * clock.setTimer('heartbeat', clock.now() + 1000, () => ping());
 */
export class LiveClock implements Clock {
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();

  now(): number {
    return Date.now();
  }

  setTimer(name: string, at: number, callback: TimerCallback): void {
    this.cancelTimer(name);
    const handle = setTimeout(
      () => {
        this.#timers.delete(name);
        callback(at);
      },
      Math.max(0, at - Date.now()),
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
