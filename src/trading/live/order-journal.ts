import type { MessageBus } from '../bus/message-bus.js';
import { Topics } from '../bus/topics.js';
import type { Alert } from '../model/alert.js';
import type { Order } from '../model/order.js';
import type { OrderEvent } from '../model/order-events.js';
import type { OrderStore } from '../execution/order-store.js';
import { SerialQueue } from './serial-queue.js';

/**
 * Writes every order event to the `OrderStore`, in the order the OMS applied them, one
 * transaction each (the order row as it is after the event, the event, and a fill). Venue calls
 * wait on `committed()` so nothing is sent before it is written (write before send). If a write
 * fails, the journal is failed: `failed` turns true, an `Alert` (`PERSISTENCE_FAILED`) is
 * published, and the write-ahead client refuses to send anything more (fail closed).
 *
 * @example
 * const journal = new OrderJournal(bus, store, (id) => exec.order(id));
 */
export class OrderJournal {
  readonly #queue = new SerialQueue();
  #batch: { after: Order; event: OrderEvent }[] = [];
  /** The commit that covers the latest event (the batch filling, or the one being written). */
  #latest: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: MessageBus,
    private readonly store: OrderStore,
    private readonly orderNow: (clientOrderId: string) => Order | undefined,
  ) {
    bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => this.#write(e));
  }

  /** True once a write has failed; nothing more may be sent. */
  get failed(): boolean {
    return this.#queue.failure !== null;
  }

  /** The write error that failed the journal (null while it has not failed). */
  get failure(): unknown {
    return this.#queue.failure;
  }

  /** Resolves when every event so far is committed; rejects if a write failed. */
  async committed(): Promise<void> {
    await this.#queue.idle();
    if (this.#queue.failure !== null) throw this.#queue.failure;
  }

  /**
   * Resolves when every event so far is committed, without waiting for events added later
   * (a send waits for its own order's record, not for the acknowledgements of earlier sends);
   * rejects if that write, or one before it, failed.
   */
  durable(): Promise<void> {
    return this.#latest;
  }

  #write(event: OrderEvent): void {
    // The order as the OMS holds it right after this event (events are applied, then published).
    const after =
      event.kind === 'OrderInitialized' ? event.order : this.orderNow(event.clientOrderId);
    if (!after) return;
    this.#batch.push({ after, event });
    // Group commit: events that arrive while a commit is running go together in the next one.
    if (this.#batch.length > 1) return;
    const job = this.#queue.add(() => {
      const items = this.#batch;
      this.#batch = [];
      return this.store.commitBatch(items);
    });
    this.#latest = job;
    job.catch((e: unknown) => {
      if (this.#queue.failure !== e) return;
      // A trade stored for another fill is its own alert: a venue or a key is wrong, not the disk.
      const conflict = (e as { code?: unknown }).code === 'FILL_CONFLICT';
      const alert: Alert = {
        kind: 'Alert',
        code: conflict ? 'FILL_CONFLICT' : 'PERSISTENCE_FAILED',
        message: `order journal write failed: ${(e as Error).message}`,
        ts: event.ts,
      };
      this.bus.publish(Topics.alerts, alert);
    });
  }
}
