import type { NodeVenue } from '../trading/live/trading-core.js';
import type { Alert } from '../trading/model/alert.js';
import type { Instrument } from '../trading/model/instrument.js';
import type { OrderEvent } from '../trading/model/order-events.js';
import type { Order } from '../trading/model/order.js';
import type { StoredOrderLookup } from '../trading/execution/order-store.js';
import { createVenuePolicy } from '../scalability/resilience/venue-policy.js';
import { CcxtExecutionClient } from '../trading/venues/ccxt/ccxt-execution.js';
import type { PrivateConnection } from './venue-connection.js';

/** A live account's venue for its `TradingCore`, with the client behind it. */
export interface LiveVenue {
  /** The core's `venue` factory (it builds the client once and starts its private streams). */
  readonly build: (
    deliver: (event: OrderEvent) => void,
    order: (clientOrderId: string) => Order | undefined,
    /** The store's order for a trade of one released by the OMS and the client (`OrderRecall`). */
    stored?: StoredOrderLookup,
  ) => NodeVenue;
  /** An instrument the account trades from now on, or its new rules (reconciliation asks about it). */
  setInstrument(inst: Instrument): void;
  /** Stops the private streams, lets the calls already sent finish, and closes the connection. */
  close(): Promise<void>;
}

/**
 * The venue of a live account, of `kairos serve` and of `kairos live` alike: a
 * `CcxtExecutionClient` on the account's own private connection (`openPrivateConnection`: its
 * key, its request budget, the venue's time), fills booked to the account, orders by client order
 * id (write-before-send and reconciliation are the core's).
 *
 * @example
 * const venue = liveAccountVenue(conn, { accountId, instruments, onAlert, onLog });
 * await TradingCore.open({ ..., venue: venue.build });
 */
export function liveAccountVenue(
  conn: PrivateConnection,
  o: {
    readonly accountId: string;
    readonly instruments: readonly Instrument[];
    readonly onAlert: (a: Alert) => void;
    readonly onLog: (line: string) => void;
    /** How long the client keeps a closed order (default 10 minutes, as the OMS). */
    readonly closedOrderRetentionMs?: number;
    /**
     * More instruments may come (default true: a served account takes them on demand, and its
     * private streams watch every symbol); false: only `instruments` (`kairos live`'s one symbol).
     */
    readonly growing?: boolean;
  },
): LiveVenue {
  let client: CcxtExecutionClient | null = null;
  const instruments = new Map(o.instruments.map((i) => [i.id, i]));
  return {
    setInstrument: (inst) => {
      instruments.set(inst.id, inst);
      client?.setInstrument(inst);
    },
    build: (deliver, order, stored) => {
      // The new client's streams start once the old one's close is over: both use `conn.stream`,
      // and that close closes every socket of it it finds while its loops wind down.
      const previous = client?.close();
      const c = (client = new CcxtExecutionClient(
        {
          exchange: conn.rest.exchange,
          stream: conn.stream,
          instruments: [...instruments.values()],
          // Instruments come on demand: the private streams watch every symbol.
          growing: o.growing ?? true,
          accountId: o.accountId,
          order,
          ...(stored ? { storedOrder: stored } : {}),
          onAlert: o.onAlert,
          onLog: o.onLog,
          ...(o.closedOrderRetentionMs !== undefined
            ? { closedOrderRetentionMs: o.closedOrderRetentionMs }
            : {}),
          bannedUntil: () => conn.rest.gate?.bannedUntil()?.untilMs,
          ...(conn.circuitHalfOpenMs === undefined
            ? {}
            : {
                policy: createVenuePolicy({
                  venue: conn.rest.exchange.id,
                  halfOpenAfterMs: conn.circuitHalfOpenMs,
                }),
              }),
        },
        deliver,
      ));
      const start = () => {
        if (client === c) c.start();
      };
      if (previous) void previous.then(start, start);
      else start();
      return ccxtNodeVenue(c);
    },
    close: async () => {
      const c = client as CcxtExecutionClient | null;
      await c?.close();
      await c?.idle();
      await conn.close();
    },
  };
}

/**
 * A started `CcxtExecutionClient` as a core's venue: orders and queries go to it, and bars from
 * a paper feed are ignored (the venue has its own market).
 *
 * @example
 * const venue = ccxtNodeVenue(client);
 */
export function ccxtNodeVenue(c: CcxtExecutionClient): NodeVenue {
  return {
    submit: (x, ts) => c.submit(x, ts),
    cancel: (id, ts) => c.cancel(id, ts),
    clientIdRefusal: (id) => c.clientIdRefusal(id),
    orderByClientId: (id) => c.orderByClientId(id),
    openOrders: () => c.openOrders(),
    tradesSince: (ts) => c.tradesSince(ts),
    onBar: () => undefined,
  };
}
