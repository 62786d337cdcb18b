import type { Exchange } from 'ccxt';
import type { StoredOrderLookup } from '../../execution/order-store.js';
import type { Instrument } from '../../model/instrument.js';
import type { Order } from '../../model/order.js';
import type { OrderEvent, OrderRef } from '../../model/order-events.js';
import type { OrderLookup } from './order-lookup.js';
import type { OrderMemory } from './order-memory.js';
import type { VenueClientIds } from './venue-client-ids.js';

/** An event's order reference and time. */
export type EventIds = OrderRef & { readonly ts: number };

/**
 * What the routing of venue reports and trades (`report-routing.ts`, `trade-routing.ts`) uses of
 * the `CcxtExecutionClient` it belongs to: its venue and account, its per-order records, and its
 * ways to link orders, deliver events and report.
 */
export interface ExecutionContext {
  readonly exchange: Exchange;
  /** Names the venue in fills and trade-id keys. */
  readonly venue: string;
  readonly accountId: string;
  /** The client was given the OMS's view of orders (`order`): it screens against it. */
  readonly omsView: boolean;
  /** How far back trades are read (`lookbackMs`, default 7 days). */
  readonly lookbackMs: number;
  /** How long a terminal report waits for its fills before they are fetched (`fillGraceMs`). */
  readonly fillGraceMs: number;
  readonly mem: OrderMemory;
  readonly cids: VenueClientIds;
  readonly lookup: OrderLookup;
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** The store's order for a trade of one released here and by the OMS (`storedOrder`); none: logged. */
  readonly storedOrder: StoredOrderLookup | undefined;
  now(): number;
  /** Every venue read goes through this (the venue policy's read). */
  read<T>(call: () => Promise<T>): Promise<T>;
  /** The order as the OMS (or the client's own copy) holds it. */
  current(id: string): Order | undefined;
  symbolOf(id: string): string | undefined;
  /** Links an order's client id to its venue id (its parked trades are applied then). */
  link(clientOrderId: string, venueOrderId: string): void;
  ids(o: Order): EventIds;
  /** Delivers the event `make` builds for order `id`, unless illegal from its state. */
  emit(id: string, make: (ids: EventIds) => OrderEvent): boolean;
  /** Delivers `event` unless illegal from its order's state (a stale report). */
  emitEvent(event: OrderEvent): boolean;
  /** Hands `event` to the OMS as it is (it screens it itself). */
  deliver(event: OrderEvent): void;
  /** Told that a fill of `id` arrived: a terminal report held for its fills may go out. */
  fillsArrived(id: string): void;
  /** Keeps a venue call in the client's in-flight set (`idle`). */
  track(p: Promise<unknown>): void;
  /** A look-up's not-found grace, ms. */
  grace(): number;
  alert(code: string, message: string): void;
  log(line: string): void;
}
