import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import {
  SimulatedExchange,
  type SimulatedExchangeOptions,
  type SimulatedExchangeState,
} from '../../backtest/simulated-exchange.js';
import type { Bar } from '../../data/market-data.js';
import type { ExecutionClient } from '../../execution/execution-client.js';
import type { VenueOrderReport, VenueQueries } from '../../execution/venue-queries.js';
import type { Fill } from '../../model/fill.js';
import type { Order } from '../../model/order.js';
import type { OrderEvent } from '../../model/order-events.js';
import { orderFromJson, orderToJson, type OrderJson } from '../../model/order-json.js';

/** One change to the venue, as logged. */
type Op =
  | { readonly seq: number; readonly op: 'submit'; readonly order: OrderJson; readonly ts: number }
  | { readonly seq: number; readonly op: 'cancel'; readonly id: string; readonly ts: number }
  | { readonly seq: number; readonly op: 'bar'; readonly bar: Bar };

/** The snapshot file: the exchange's state after the op numbered `seq`. */
interface Snapshot {
  readonly seq: number;
  readonly state: SimulatedExchangeState;
}

/** Ops between snapshots: bounds the log replayed at start and amortizes the snapshot's cost. */
const COMPACT_EVERY = 2_000;

/**
 * The paper venue: the simulated exchange, with its state kept on disk so it survives restarts
 * of the trading node (and can be reconciled against, like a real venue). Like a real venue it
 * commits before it answers: every call is appended to an op log (`<file>.log`) before its
 * reports are delivered. On start the last snapshot (`<file>`) is loaded and the log replayed
 * (the simulated exchange is deterministic); every 2,000 ops a new snapshot is written
 * atomically (temp file and rename) and the log starts again.
 *
 * @example
 * const venue = new PaperVenue('var/paper/venue.json', { venue: 'PAPER', instruments }, (e) => exec.process(e));
 */
export class PaperVenue implements ExecutionClient, VenueQueries {
  readonly #exchange: SimulatedExchange;
  readonly #buffer: OrderEvent[] = [];
  readonly #log: string;
  #seq = 0;
  #sinceSnapshot = 0;

  constructor(
    private readonly file: string,
    options: SimulatedExchangeOptions,
    private readonly deliver: (event: OrderEvent) => void,
  ) {
    this.#log = `${file}.log`;
    this.#exchange = new SimulatedExchange(options, (e) => this.#buffer.push(e));
    mkdirSync(path.dirname(file), { recursive: true });
    if (existsSync(file)) {
      const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
      this.#exchange.restore(snap.state);
      this.#seq = snap.seq;
    }
    if (existsSync(this.#log)) {
      for (const op of readOps(this.#log)) {
        if (op.seq <= this.#seq) continue; // already in the snapshot
        this.#apply(op);
        this.#seq = op.seq;
        this.#sinceSnapshot++;
      }
    }
    this.#buffer.length = 0; // replayed reports were delivered before the restart
  }

  /** The venue's whole state (fault tests compare the node against it). */
  state(): SimulatedExchangeState {
    return this.#exchange.snapshot();
  }

  submit(order: Order, ts: number): void {
    this.#record({ seq: this.#seq + 1, op: 'submit', order: orderToJson(order), ts });
  }

  cancel(clientOrderId: string, ts: number): void {
    this.#record({ seq: this.#seq + 1, op: 'cancel', id: clientOrderId, ts });
  }

  /** Matches working orders against a bar (a bar already seen is ignored). */
  onBar(bar: Bar): void {
    this.#record({ seq: this.#seq + 1, op: 'bar', bar });
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

  #apply(op: Op): void {
    switch (op.op) {
      case 'submit':
        return this.#exchange.submit(orderFromJson(op.order), op.ts);
      case 'cancel':
        return this.#exchange.cancel(op.id, op.ts);
      case 'bar':
        return this.#exchange.onBar(op.bar);
    }
  }

  /** Applies an op, makes it durable (log, or a new snapshot), then delivers its reports. */
  #record(op: Op): void {
    this.#apply(op);
    this.#seq = op.seq;
    if (++this.#sinceSnapshot >= COMPACT_EVERY) {
      const tmp = `${this.file}.${process.pid}.tmp`;
      const snap: Snapshot = { seq: this.#seq, state: this.#exchange.snapshot() };
      writeFileSync(tmp, JSON.stringify(snap));
      renameSync(tmp, this.file);
      writeFileSync(this.#log, '');
      this.#sinceSnapshot = 0;
    } else {
      appendFileSync(this.#log, `${JSON.stringify(op)}\n`);
    }
    const events = this.#buffer.splice(0);
    for (const e of events) this.deliver(e);
  }
}

/** The logged ops; a last line cut short by a crash (never answered) is dropped. */
function readOps(file: string): Op[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const ops: Op[] = [];
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    try {
      ops.push(JSON.parse(line) as Op);
    } catch (e) {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l !== '')) throw e;
    }
  }
  return ops;
}
