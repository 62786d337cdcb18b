import { KairosError } from '../core/errors.js';

/**
 * Runs async jobs one at a time, in the order they were added. A failed job fails the queue:
 * later jobs are refused (fail closed) and `failure` holds the first error.
 *
 * @example
 * const q = new SerialQueue();
 * q.add(() => store.insertOrder(order, event));
 * await q.idle();
 */
export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();
  #failure: unknown = null;

  /** The first error a job threw, or null. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Adds a job; the returned promise settles when it has run (or was refused). */
  add<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(async () => {
      try {
        if (this.#failure !== null) {
          // With the first failure's code when it has one (a lease lost: the order is answered
          // as that loss, 503 with Retry-After, not as an internal error).
          const f = this.#failure;
          throw f instanceof KairosError
            ? new KairosError(f.code, `refused: an earlier write failed: ${f.message}`, {
                cause: f,
              })
            : new Error('refused: an earlier write failed', { cause: f });
        }
        return await job();
      } catch (e) {
        this.#failure ??= e;
        throw e;
      }
    });
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Resolves when every job added so far has run. */
  idle(): Promise<void> {
    return this.#tail;
  }
}
