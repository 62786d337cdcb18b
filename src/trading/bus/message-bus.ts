import { InvariantError } from '../core/errors.js';

/** A handler of bus messages. */
export type Handler<T = unknown> = (message: T) => void;

/**
 * The message bus: commands go to one named endpoint (`send`), events go to every subscriber of
 * a topic (`publish`). Delivery is synchronous and in subscription order, so a run is
 * deterministic. A subscription to `prefix.*` receives every topic that starts with `prefix.`.
 *
 * @example
 * const bus = new MessageBus();
 * bus.subscribe('events.order.*', (e) => log(e));
 * bus.publish('events.order.sma', event);
 */
export class MessageBus {
  readonly #endpoints = new Map<string, Handler>();
  readonly #subscriptions: { pattern: string; handler: Handler }[] = [];
  readonly #resolved = new Map<string, Handler[]>();

  /** Registers the one handler of an endpoint; a second registration is a bug. */
  register<T>(endpoint: string, handler: Handler<T>): void {
    if (this.#endpoints.has(endpoint)) {
      throw new InvariantError('BUS_ENDPOINT_TAKEN', `endpoint ${endpoint} is already registered`);
    }
    this.#endpoints.set(endpoint, handler as Handler);
  }

  /** Sends a command to its endpoint; an unknown endpoint is a bug. */
  send(endpoint: string, message: unknown): void {
    const handler = this.#endpoints.get(endpoint);
    if (!handler)
      throw new InvariantError('BUS_NO_ENDPOINT', `no handler for endpoint ${endpoint}`);
    handler(message);
  }

  /** Subscribes to a topic or a `prefix.*` pattern; returns the unsubscribe function. */
  subscribe<T>(pattern: string, handler: Handler<T>): () => void {
    const sub = { pattern, handler: handler as Handler };
    this.#subscriptions.push(sub);
    this.#resolved.clear();
    return () => {
      const i = this.#subscriptions.indexOf(sub);
      if (i >= 0) this.#subscriptions.splice(i, 1);
      this.#resolved.clear();
    };
  }

  /** Publishes an event to every matching subscriber, in subscription order. */
  publish(topic: string, message: unknown): void {
    const handlers = this.#resolved.get(topic) ?? this.#resolve(topic);
    for (let i = 0; i < handlers.length; i++) handlers[i]!(message);
  }

  /** Whether anyone hears a topic: a publisher may skip making a message no one reads. */
  hasSubscribers(topic: string): boolean {
    return (this.#resolved.get(topic) ?? this.#resolve(topic)).length > 0;
  }

  #resolve(topic: string): Handler[] {
    const handlers = this.#subscriptions
      .filter(({ pattern }) =>
        pattern.endsWith('*') ? topic.startsWith(pattern.slice(0, -1)) : pattern === topic,
      )
      .map((s) => s.handler);
    this.#resolved.set(topic, handlers);
    return handlers;
  }
}
