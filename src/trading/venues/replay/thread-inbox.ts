import type { Worker } from 'node:worker_threads';

/**
 * The messages of a worker thread, taken one at a time in the order posted. The thread keeps the
 * process alive only while someone waits on `next()` or `exited()`: a reader its consumer drops
 * holds nothing open.
 *
 * @example
 * const inbox = new ThreadInbox<FromReader>(worker);
 * for (let m = await inbox.next(); m !== null; m = await inbox.next()) ...
 */
export class ThreadInbox<T> {
  readonly #worker: Worker;
  readonly #queue: T[] = [];
  readonly #exit: Promise<void>;
  #exited = false;
  #wake = () => {};
  /** The thread's own error (an exception it did not catch), if it had one. */
  failure: unknown = undefined;

  constructor(worker: Worker) {
    this.#worker = worker;
    this.#exit = new Promise<void>((resolve) =>
      worker.once('exit', () => {
        this.#exited = true;
        this.#wake();
        resolve();
      }),
    );
    worker.on('message', (m: T) => {
      this.#queue.push(m);
      this.#wake();
    });
    worker.on('error', (e) => (this.failure ??= e));
    worker.unref();
  }

  /** Whether the thread has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** The next message; null once the thread has exited and every message it posted is taken. */
  async next(): Promise<T | null> {
    // Node delivers all of a thread's messages before its exit.
    while (this.#queue.length === 0 && !this.#exited) {
      this.#worker.ref();
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#worker.unref();
    }
    return this.#queue.shift() ?? null;
  }

  /** Resolves once the thread has exited. */
  exit(): Promise<void> {
    if (!this.#exited) this.#worker.ref();
    return this.#exit;
  }
}
