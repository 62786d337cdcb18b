import { MessageBus, type Handler } from './message-bus.js';

/**
 * A bus as one late listener sees it: commands and events it sends or publishes go to `bus` at
 * once; what its own subscriptions would hear waits, in the order published, until `release()`,
 * and is heard as it comes after. A strategy resumed after a restart hears first the events stored before
 * it began to listen (told from the store), then those that came while it was being started.
 *
 * @example
 * const held = new HeldBus(core.bus);
 * const seam = new InProcessSeam(def, params, { ...host, services: () => ({ ...s, bus: held }) });
 * seam.start(input); tellStored(seam); held.release();
 */
export class HeldBus extends MessageBus {
  /** Its subscribers, by pattern; each pattern is one subscription on `bus`. */
  readonly #handlers = new Map<string, Handler[]>();
  /** Each pattern's subscription on `bus`, to end when its last subscriber leaves. */
  readonly #off = new Map<string, () => void>();
  /** What `bus` delivered while held, by pattern (null once released). */
  #waiting: [string, unknown][] | null = [];

  constructor(private readonly bus: MessageBus) {
    super();
  }

  override register<T>(endpoint: string, handler: Handler<T>): void {
    this.bus.register(endpoint, handler);
  }

  override send(endpoint: string, message: unknown): void {
    this.bus.send(endpoint, message);
  }

  override publish(topic: string, message: unknown): void {
    this.bus.publish(topic, message);
  }

  override hasSubscribers(topic: string): boolean {
    return this.bus.hasSubscribers(topic);
  }

  /**
   * Subscribes to `pattern` on `bus`. A message that waited goes, on release, to the subscribers
   * of its pattern then (one that subscribed after it came hears it too, and hears it once).
   */
  override subscribe<T>(pattern: string, handler: Handler<T>): () => void {
    let list = this.#handlers.get(pattern);
    if (!list) {
      const handlers: Handler[] = (list = []);
      this.#handlers.set(pattern, handlers);
      const off = this.bus.subscribe(pattern, (message) => {
        if (this.#waiting) this.#waiting.push([pattern, message]);
        else for (const h of handlers) h(message);
      });
      this.#off.set(pattern, off);
    }
    const mine = handler as Handler;
    const handlers = list;
    handlers.push(mine);
    return () => {
      const i = handlers.indexOf(mine);
      if (i < 0) return;
      handlers.splice(i, 1);
      // The last one gone: off the bus (what waited for it is heard by none).
      if (handlers.length > 0 || this.#handlers.get(pattern) !== handlers) return;
      this.#handlers.delete(pattern);
      this.#off.get(pattern)!();
      this.#off.delete(pattern);
    };
  }

  /**
   * Hands over what waited, in order; what is published while it is handed over (an order a
   * handler makes) waits behind it. Then everything is heard as it comes.
   */
  release(): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    while (waiting.length > 0) {
      const [pattern, message] = waiting.shift()!;
      for (const h of this.#handlers.get(pattern) ?? []) h(message);
    }
    this.#waiting = null;
  }
}
