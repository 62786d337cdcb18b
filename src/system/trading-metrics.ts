import { performance } from 'node:perf_hooks';
import { METRICS } from '../monitoring/metric-catalogue.js';
import { Topics } from '../trading/bus/topics.js';
import { assertNever } from '../trading/core/errors.js';
import type { Decimal } from '../trading/core/decimal.js';
import type { Metrics } from '../trading/core/metrics.js';
import type { ReconciliationResult } from '../trading/live/reconciler.js';
import type { Alert } from '../trading/model/alert.js';
import type { OrderEvent } from '../trading/model/order-events.js';
import type { OrderStatus } from '../trading/model/order-types.js';
import type { Order } from '../trading/model/order.js';
import type { TradingStateChanged } from '../trading/risk/risk-engine.js';
import type { TradingState } from '../trading/risk/trading-state.js';
import type { EventSource } from './trading-log.js';

/**
 * Denial reasons are stable codes our own code sets (`docs/errors.md`): a bounded set. Anything
 * that does not look like one is counted as `OTHER`, never as itself.
 */
const REASON_CODE = /^[A-Z][A-Z0-9_]{0,47}$/;

/** What `countTradingEvents` counts besides the bus, and when. */
export interface TradingMetricsOptions {
  /** The venue label (`PAPER`, `binance`…): one per node. */
  readonly venue: string;
  /**
   * The OMS's view of an order: tells a partial fill (`PARTIALLY_FILLED`) from the last one.
   * Without it, the quantity the order was made with is tracked from its `OrderInitialized`.
   */
  readonly order?: (clientOrderId: string) => Order | undefined;
  /** A monotonic clock in ms (default `performance.now`): latencies and ages. */
  readonly now?: () => number;
  /**
   * Whether `kairos_kill_switch_engaged` follows the bus's trading-state changes (default true:
   * a node's `GLOBAL` scope is `global`, or `account` when the bus names the account). False
   * when the caller shows the stored states instead (`killSwitchMetrics`: `kairos serve`).
   */
  readonly statesFromEvents?: boolean;
}

/** The hooks a node or a server feeds besides the bus. */
export interface TradingMetrics {
  /** The node's `onAlert` (chain it with the logger's): rate-limit bans, failed reconciliations. */
  readonly onAlert: (alert: Alert) => void;
  /** The node's `onReconciled`: results and drift. */
  readonly onReconciled: (result: ReconciliationResult) => void;
  /** Brings the gauges that move with time up to date (the unresolved orders' age). */
  sample(): void;
  /** Unsubscribes from the bus. */
  stop(): void;
}

/**
 * The metrics of a trading core or node, from the events its engines publish (the domain only
 * publishes; this subscriber counts, as `trading-log.ts` logs): orders by resulting status,
 * denials by reason code, fills, tick-to-ack latency (wall-clock time from the order being made,
 * synchronously in the handler of the tick or request that made it, to the venue's
 * acknowledgement), unresolved orders and the oldest one's age, the kill switch per scope kind;
 * with the hooks it answers, reconciliation results and drift, and request-budget bans.
 * Labels come from bounded sets only (`docs/operations.md`, "Metrics").
 *
 * @example
 * const counted = countTradingEvents(core.bus, metrics, { venue: 'PAPER', order: (id) => core.exec.order(id) });
 * setInterval(() => counted.sample(), 1_000).unref();
 */
export function countTradingEvents(
  bus: EventSource,
  metrics: Metrics,
  options: TradingMetricsOptions,
): TradingMetrics {
  const { venue } = options;
  const now = options.now ?? (() => performance.now());
  const orders = metrics.counter(METRICS.orders);
  const denials = metrics.counter(METRICS.denials);
  const fills = metrics.counter(METRICS.fills);
  const latency = metrics.histogram(METRICS.orderLatency);
  const unresolvedCount = metrics.gauge(METRICS.unresolvedOrders);
  const unresolvedOldest = metrics.gauge(METRICS.unresolvedOldest);
  const showStates = options.statesFromEvents === false ? null : killSwitchMetrics(metrics);
  const onAlert = countAlerts(metrics, venue);
  const onReconciled = countReconciliations(metrics, venue);

  /** When each order not yet acknowledged was made (removed at its ack or end). */
  const made = new Map<string, number>();
  /** The quantity still to fill of each open order made since this started (without `order`). */
  const remaining = new Map<string, Decimal>();
  /** When each order whose outcome is unknown (SUBMITTED, UNKNOWN) was sent. */
  const unresolved = new Map<string, number>();
  /** The node's own state, each account's (a bus of several) and each strategy's not ACTIVE. */
  let globalState: TradingState = 'ACTIVE';
  const accountStates = new Map<string, TradingState>();
  const strategyStates = new Map<string, TradingState>();
  const show = () =>
    showStates?.({
      global: globalState,
      accounts: accountStates.values(),
      strategies: strategyStates.values(),
    });

  const sample = () => {
    unresolvedCount.set(unresolved.size);
    let oldest = Infinity;
    for (const t of unresolved.values()) oldest = Math.min(oldest, t);
    unresolvedOldest.set(unresolved.size === 0 ? 0 : Math.max(0, (now() - oldest) / 1000));
  };
  // Every series exists from the start: an alarm sees 0, not "no data".
  show();
  sample();
  fills.inc({ venue }, 0);

  const count = (status: OrderStatus | 'CANCEL_REJECTED') => orders.inc({ venue, status });
  const settled = (id: string) => {
    made.delete(id);
    if (unresolved.delete(id)) sample();
  };
  const closed = (id: string) => {
    settled(id);
    remaining.delete(id);
  };
  const fillStatus = (id: string, quantity: Decimal): 'PARTIALLY_FILLED' | 'FILLED' => {
    if (options.order) {
      const status = options.order(id)?.status;
      return status === 'PARTIALLY_FILLED' ? 'PARTIALLY_FILLED' : 'FILLED';
    }
    const left = remaining.get(id)?.minus(quantity);
    if (left?.gt(0)) {
      remaining.set(id, left);
      return 'PARTIALLY_FILLED';
    }
    remaining.delete(id);
    return 'FILLED';
  };

  const onOrderEvent = (e: OrderEvent): void => {
    const id = e.clientOrderId;
    switch (e.kind) {
      case 'OrderInitialized':
        made.set(id, now());
        if (!options.order) remaining.set(id, e.order.quantity);
        return count('INITIALIZED');
      case 'OrderDenied':
        denials.inc({ reason: REASON_CODE.test(e.reason) ? e.reason : 'OTHER' });
        closed(id);
        return count('DENIED');
      case 'OrderSubmitted':
        unresolved.set(id, now());
        sample();
        return count('SUBMITTED');
      case 'OrderAccepted': {
        const t = made.get(id);
        if (t !== undefined) latency.observe(Math.max(0, (now() - t) / 1000), { venue });
        settled(id);
        // Heard while its cancel is out, it leaves the order PENDING_CANCEL: no change to count.
        if (options.order?.(id)?.status === 'PENDING_CANCEL') return;
        return count('ACCEPTED');
      }
      case 'OrderRejected':
        closed(id);
        return count('REJECTED');
      case 'OrderUnknown':
        if (!unresolved.has(id)) unresolved.set(id, now());
        sample();
        return count('UNKNOWN');
      case 'OrderPendingCancel':
        return count('PENDING_CANCEL');
      case 'OrderCancelRejected':
        return count('CANCEL_REJECTED');
      case 'OrderCanceled':
        closed(id);
        return count('CANCELED');
      case 'OrderExpired':
        closed(id);
        return count('EXPIRED');
      case 'OrderFilled':
        fills.inc({ venue });
        settled(id);
        return count(fillStatus(id, e.fill.quantity));
      default:
        return assertNever(e);
    }
  };

  const offOrders = bus.subscribe<OrderEvent>(Topics.allOrderEvents, onOrderEvent);
  const offRisk = bus.subscribe<TradingStateChanged | { kind: string }>(Topics.risk, (e, acc) => {
    if (e.kind !== 'TradingStateChanged' || !showStates) return;
    const s = e as TradingStateChanged;
    const keep = (map: Map<string, TradingState>, key: string) => {
      if (s.state === 'ACTIVE') map.delete(key);
      else map.set(key, s.state);
    };
    if (s.scope === 'GLOBAL') {
      if (acc === undefined) globalState = s.state;
      else keep(accountStates, acc);
    } else if (s.strategyId !== null) keep(strategyStates, `${acc ?? ''}\u0000${s.strategyId}`);
    show();
  });

  return {
    onAlert,
    onReconciled,
    sample,
    stop: () => {
      offOrders();
      offRisk();
    },
  };
}

/**
 * The trading states `kairos_kill_switch_engaged` shows: the whole process's, each account's,
 * each user's (the per-user kill switch of `serve`; none elsewhere) and each strategy's.
 */
export interface TradingStatesView {
  readonly global: TradingState;
  readonly accounts: Iterable<TradingState>;
  readonly users?: Iterable<TradingState>;
  readonly strategies: Iterable<TradingState>;
}

const SCOPES = ['global', 'account', 'user', 'strategy'] as const;

/**
 * `kairos_kill_switch_engaged{scope, state}`: for each scope kind (`global`, `account`, `user`,
 * `strategy`) and each state (`HALTED`, `REDUCING`), how many scopes of that kind are in that
 * state (`global`: 0 or 1). Eight series whatever the number of accounts, users or strategies: the ids
 * are in the log lines and `GET /risk`, never in a label. Every series is set on each call.
 *
 * @example
 * const show = killSwitchMetrics(metrics);
 * show({ global: 'ACTIVE', accounts: ['HALTED'], strategies: [] }); // {scope="account",state="HALTED"} 1
 */
export function killSwitchMetrics(metrics: Metrics): (states: TradingStatesView) => void {
  const gauge = metrics.gauge(METRICS.killSwitch);
  return (view) => {
    const lists = {
      global: [view.global],
      account: [...view.accounts],
      user: [...(view.users ?? [])],
      strategy: [...view.strategies],
    };
    for (const scope of SCOPES)
      for (const state of ['HALTED', 'REDUCING'] as const)
        gauge.set(lists[scope].filter((s) => s === state).length, { scope, state });
  };
}

/** The alerts of a journal write that failed (the node then refuses every new order). */
const PERSISTENCE_ALERTS: readonly string[] = [
  'PERSISTENCE_FAILED',
  'FILL_CONFLICT',
  'ORDER_CONFLICT',
];

/**
 * An `onAlert` that counts what alerts tell: request-budget bans
 * (`kairos_request_budget_bans_total`, 429 for `VENUE_RATE_LIMITED`, 418 for `VENUE_BANNED`),
 * reconciliations that could not run (`TRADING_PAUSED`: result `failed`) and journal writes that
 * failed (`kairos_persistence_failures_total` by alert code).
 *
 * @example
 * new TradingNode({ ..., onAlert: countAlerts(metrics, 'binance') });
 */
export function countAlerts(metrics: Metrics, venue: string): (alert: Alert) => void {
  const reconciliations = metrics.counter(METRICS.reconciliations);
  const bans = metrics.counter(METRICS.budgetBans);
  const persistence = metrics.counter(METRICS.persistenceFailures);
  const dropped = metrics.counter(METRICS.parkedTradesDropped);
  for (const status_code of ['429', '418']) bans.inc({ venue, status_code }, 0);
  dropped.inc({ venue }, 0);
  for (const code of PERSISTENCE_ALERTS) persistence.inc({ code }, 0);
  return (a) => {
    if (PERSISTENCE_ALERTS.includes(a.code)) persistence.inc({ code: a.code });
    else if (a.code === 'VENUE_RATE_LIMITED') bans.inc({ venue, status_code: '429' });
    else if (a.code === 'VENUE_BANNED') bans.inc({ venue, status_code: '418' });
    else if (a.code === 'TRADING_PAUSED') reconciliations.inc({ venue, result: 'failed' });
    else if (a.code === 'PARKED_TRADE_DROPPED') dropped.inc({ venue });
  };
}

/**
 * An `onReconciled` that counts results (`clean`, `drift`; `failed` comes from `countAlerts`)
 * and shows the last one's drift (`kairos_reconciliation_drift`).
 *
 * @example
 * new TradingNode({ ..., onReconciled: countReconciliations(metrics, 'binance') });
 */
export function countReconciliations(
  metrics: Metrics,
  venue: string,
): (result: ReconciliationResult) => void {
  const reconciliations = metrics.counter(METRICS.reconciliations);
  const drift = metrics.gauge(METRICS.reconciliationDrift);
  for (const result of ['clean', 'drift', 'failed']) reconciliations.inc({ venue, result }, 0);
  drift.set(0, { venue });
  return (r) => {
    reconciliations.inc({ venue, result: r.drift.length > 0 ? 'drift' : 'clean' });
    drift.set(r.drift.length, { venue });
  };
}

/**
 * Reads a ccxt venue adapter's status lines (`onLog`) for its connection state: a candles or
 * trades stream that failed or reconnected is the `market-data` channel, the private stream the
 * `orders` channel. (The adapters report these only as lines today.)
 *
 * @example
 * const onLog = venueLineMetrics(venueConnection(metrics, 'binance'));
 */
export function venueLineMetrics(connection: VenueConnectionMetrics): (line: string) => void {
  return (line) => {
    if (/: (candles|trades) stream reconnected$/.test(line)) connection.reconnected('market-data');
    else if (/: (candles|trades) stream failed \(/.test(line)) connection.down('market-data');
    else if (/: private stream reconnected$/.test(line)) connection.reconnected('orders');
    else if (/: stream failed \(/.test(line)) connection.down('orders');
  };
}

/** The channels of a venue connection (`kairos_venue_connected`, `kairos_venue_reconnects_total`). */
export type VenueChannel = 'market-data' | 'orders';

/** Tells the metrics a venue channel's state. */
export interface VenueConnectionMetrics {
  up(channel: VenueChannel): void;
  down(channel: VenueChannel): void;
  /** Up again after a loss: counted, and up. */
  reconnected(channel: VenueChannel): void;
}

/**
 * The connection metrics of one venue: `kairos_venue_connected` (1 up, 0 down) and
 * `kairos_venue_reconnects_total`, per channel.
 *
 * @example
 * const conn = venueConnection(metrics, 'binance'); conn.up('market-data');
 */
export function venueConnection(metrics: Metrics, venue: string): VenueConnectionMetrics {
  const connected = metrics.gauge(METRICS.venueConnected);
  const reconnects = metrics.counter(METRICS.venueReconnects);
  for (const channel of ['market-data', 'orders'] as const) reconnects.inc({ venue, channel }, 0);
  return {
    up: (channel) => connected.set(1, { venue, channel }),
    down: (channel) => connected.set(0, { venue, channel }),
    reconnected: (channel) => {
      reconnects.inc({ venue, channel });
      connected.set(1, { venue, channel });
    },
  };
}
