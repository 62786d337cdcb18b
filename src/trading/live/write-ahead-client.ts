import type { ExecutionClient } from '../execution/execution-client.js';
import type { Order } from '../model/order.js';
import type { OrderJournal } from './order-journal.js';
import { SerialQueue } from './serial-queue.js';

/** Where a fault test may stop the node: committed but not sent; sent but the answer not stored. */
export type Failpoint = 'after-commit' | 'after-send';

/**
 * Wraps a venue client so that each submit and cancel goes out only after the journal has
 * committed everything journaled before the call, the SUBMITTED order included (write before
 * send), in the order the calls were made. When the
 * journal has failed, nothing is sent and `onRefused` is told (fail closed).
 *
 * @example
 * const exec = new ExecutionEngine(bus, () => new WriteAheadClient(venue, journal, onRefused));
 */
export class WriteAheadClient implements ExecutionClient {
  readonly #sends = new SerialQueue();

  constructor(
    private readonly venue: ExecutionClient,
    private readonly journal: OrderJournal,
    private readonly onRefused: (clientOrderId: string, reason: unknown) => void,
    /** Called at the two moments a crash hurts most (fault tests stop the process there). */
    private readonly failpoint?: (at: Failpoint) => void,
  ) {}

  submit(order: Order, ts: number): void {
    void this.#send(order.clientOrderId, () => this.venue.submit(order, ts));
  }

  cancel(clientOrderId: string, ts: number): void {
    void this.#send(clientOrderId, () => this.venue.cancel(clientOrderId, ts));
  }

  /** Resolves when every send so far has been made or refused. */
  idle(): Promise<void> {
    return this.#sends.idle();
  }

  async #send(clientOrderId: string, call: () => void): Promise<void> {
    // The record to wait for is everything journaled up to now (this order's own event
    // included), not what later sends add: sends queued behind one commit all go after it.
    const durable = this.journal.durable();
    await this.#sends
      .add(async () => {
        await durable;
        this.failpoint?.('after-commit');
        call();
        this.failpoint?.('after-send');
      })
      .catch((e: unknown) => this.onRefused(clientOrderId, e));
  }
}
