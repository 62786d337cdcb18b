/**
 * Pushed values as an async iterable, ending when `end()` is called (a live feed's callbacks as
 * the `for await` a trading node reads). Unbounded by design: a live feed delivers a few bars a
 * minute and the node drains them as fast as they come.
 *
 * @example
 * const q = new AsyncQueue<Bar[]>(); feed.onBars = (b) => q.push(b); for await (const b of q) …
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #wake: (() => void) | null = null;
  #ended = false;

  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const next = this.#items.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = null;
    }
  }
}
