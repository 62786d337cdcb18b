import type { Order } from '../model/order.js';

/**
 * The port every venue adapter implements (the simulated exchange, ccxt venues). Reports come
 * back as `OrderEvent`s sent to the execution engine; nothing here returns an outcome.
 *
 * @example
 * const client: ExecutionClient = new SimulatedExchange(options, (e) => engine.process(e));
 */
export interface ExecutionClient {
  /** Sends a SUBMITTED order to the venue at time `ts`. */
  submit(order: Order, ts: number): void;
  /** Asks the venue to cancel an order at time `ts`. */
  cancel(clientOrderId: string, ts: number): void;
  /**
   * Why the venue would refuse `clientOrderId` (its rule for the id it is sent, naming the field
   * and the rule), or null when it takes it. Asked by the risk gate before the order is
   * committed (`CLIENT_ORDER_ID_INVALID`). Absent: the venue takes every id Kairos makes.
   */
  clientIdRefusal?(clientOrderId: string): string | null;
}
