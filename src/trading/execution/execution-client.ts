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
}
