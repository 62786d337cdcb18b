import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  SimulatedExchange,
  type SimulatedExchangeOptions,
} from '../../backtest/simulated-exchange.js';
import type { Bar } from '../../data/market-data.js';
import type { ExecutionClient } from '../../execution/execution-client.js';
import type { VenueOrderReport, VenueQueries } from '../../execution/venue-queries.js';
import type { Fill } from '../../model/fill.js';
import type { Order } from '../../model/order.js';
import type { OrderEvent } from '../../model/order-events.js';

/**
 * The paper venue: the simulated exchange, with its state kept in a file so it survives restarts
 * of the trading node (and can be reconciled against, like a real venue). Like a real venue it
 * commits before it answers: every call that changes it writes the state (atomically: temp file
 * and rename) before its reports are delivered.
 *
 * @example
 * const venue = new PaperVenue('var/paper/venue.json', { venue: 'PAPER', instruments }, (e) => exec.process(e));
 */
export class PaperVenue implements ExecutionClient, VenueQueries {
  readonly #exchange: SimulatedExchange;
  readonly #buffer: OrderEvent[] = [];

  constructor(
    private readonly file: string,
    options: SimulatedExchangeOptions,
    private readonly deliver: (event: OrderEvent) => void,
  ) {
    this.#exchange = new SimulatedExchange(options, (e) => this.#buffer.push(e));
    if (existsSync(file)) this.#exchange.restore(JSON.parse(readFileSync(file, 'utf8')));
  }

  submit(order: Order, ts: number): void {
    this.#exchange.submit(order, ts);
    this.#commit(true);
  }

  cancel(clientOrderId: string, ts: number): void {
    this.#exchange.cancel(clientOrderId, ts);
    this.#commit(true);
  }

  /** Matches working orders against a bar (a bar already seen is ignored). */
  onBar(bar: Bar): void {
    const working = this.#exchange.openOrderIds().length > 0;
    this.#exchange.onBar(bar);
    this.#commit(working);
  }

  orderByClientId(clientOrderId: string): Promise<VenueOrderReport | null> {
    return this.#exchange.orderByClientId(clientOrderId);
  }

  openOrders(): Promise<readonly VenueOrderReport[]> {
    return this.#exchange.openOrders();
  }

  tradesSince(ts: number): Promise<readonly Fill[]> {
    return this.#exchange.tradesSince(ts);
  }

  #commit(changed: boolean): void {
    if (changed || this.#buffer.length > 0) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.#exchange.snapshot()));
      renameSync(tmp, this.file);
    }
    const events = this.#buffer.splice(0);
    for (const e of events) this.deliver(e);
  }
}
