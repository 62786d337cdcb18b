interface Waiter<V> {
  resolve(v: V | undefined): void;
  reject(e: unknown): void;
}

/**
 * Look-ups by key that share queries: those asked in the same turn of the event loop go in one
 * query, run at the turn's end (`setImmediate`), and those asked while it runs go together in the
 * next (one query for many keys, as the order journal groups its commits). Requests that arrive
 * together (read in one poll of the sockets) so share one query, not one for the first and one
 * for the rest, which then also split the journal's commit in two.
 *
 * @example
 * const orders = new GroupedLookup((ids) => store.orders(ids), (o) => o.clientOrderId);
 * const order = await orders.get('c-1');
 */
export class GroupedLookup<V> {
  #pending = new Map<string, Waiter<V>[]>();
  #running = false;

  constructor(
    private readonly fetch: (keys: readonly string[]) => Promise<readonly V[]>,
    private readonly keyOf: (value: V) => string,
  ) {}

  /** The value with this key, or undefined when there is none. */
  get(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.#pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.#pending.set(key, [{ resolve, reject }]);
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#pending.size > 0) {
      await new Promise((r) => setImmediate(r));
      const batch = this.#pending;
      this.#pending = new Map();
      try {
        const found = new Map((await this.fetch([...batch.keys()])).map((v) => [this.keyOf(v), v]));
        for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key));
      } catch (e) {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(e);
      }
    }
    this.#running = false;
  }
}
