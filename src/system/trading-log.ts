import { Topics } from '../trading/bus/topics.js';
import { assertNever } from '../trading/core/errors.js';
import type { LogFields, Logger } from '../trading/core/logger.js';
import type { ReconciliationResult } from '../trading/live/reconciler.js';
import type { Alert } from '../trading/model/alert.js';
import type { OrderEvent } from '../trading/model/order-events.js';
import type { TradingStateChanged } from '../trading/risk/risk-engine.js';

/** Alerts that mean the books may be wrong: logged at `error`, the others at `warn`. */
const SEVERE_ALERTS = new Set([
  'ORDER_OVERFILL',
  'RECONCILIATION_DRIFT',
  'REPLAY_MISMATCH',
  'ORDER_NOT_SENT',
]);

/**
 * Where trading events come from: one core's or node's bus, or every account's at once
 * (`TradingAccounts.bus`), which also tells each handler the account that published.
 */
export interface EventSource {
  subscribe<T>(pattern: string, handler: (event: T, accountId?: string) => void): () => void;
}

/**
 * What an operator reads after an incident, from the bus of a trading core or node: every order
 * state change (component `orders`, with `accountId`, `clientOrderId`, `strategyId`, `instrumentId`,
 * `venue`), each risk denial with its reason code, each trading-state change (the kill switch:
 * component `risk`). The domain only publishes; this subscriber writes. Answers the unsubscribe.
 *
 * @example
 * const stop = logTradingEvents(core.bus, logger, 'PAPER');
 */
export function logTradingEvents(bus: EventSource, logger: Logger, venue: string): () => void {
  const orders = logger.child({ component: 'orders', venue });
  const risk = logger.child({ component: 'risk' });
  const offOrders = bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) =>
    logOrderEvent(orders, e),
  );
  const offRisk = bus.subscribe<TradingStateChanged | { kind: string }>(Topics.risk, (e, acc) => {
    if (e.kind !== 'TradingStateChanged') return;
    const s = e as TradingStateChanged;
    const fields = {
      // A core's GLOBAL scope is its account's (kairos serve runs one core per account).
      ...(acc === undefined ? {} : { accountId: acc }),
      scope: s.scope,
      strategyId: s.strategyId,
      state: s.state,
      actor: s.actor,
    };
    if (s.state === 'HALTED') risk.warn('kill switch engaged: trading halted', fields);
    else risk.info(`trading state ${s.state}`, fields);
  });
  return () => {
    offOrders();
    offRisk();
  };
}

/**
 * An order line's fields, the ids first, written out: on Node 20 a spread that adds keys costs
 * microseconds, and an order logs three lines.
 */
function idsOf(e: OrderEvent, more: LogFields | undefined): LogFields {
  const fields: Record<string, unknown> = {
    accountId: e.accountId,
    clientOrderId: e.clientOrderId,
    strategyId: e.strategyId,
    instrumentId: e.instrumentId,
    event: e.kind,
  };
  return more === undefined ? fields : Object.assign(fields, more);
}

/** One order event as one line: denials, rejections and unknown outcomes at `warn`. */
function logOrderEvent(log: Logger, e: OrderEvent): void {
  switch (e.kind) {
    case 'OrderInitialized': {
      const o = e.order;
      return log.info(
        'order initialized',
        idsOf(e, {
          side: o.side,
          type: o.type,
          quantity: o.quantity.toString(),
          price: o.price?.toString() ?? null,
          timeInForce: o.timeInForce,
        }),
      );
    }
    case 'OrderDenied':
      return log.warn('order denied by risk', idsOf(e, { reason: e.reason, detail: e.message }));
    case 'OrderSubmitted':
      return log.info('order submitted', idsOf(e, undefined));
    case 'OrderAccepted':
      return log.info('order accepted', idsOf(e, { venueOrderId: e.venueOrderId }));
    case 'OrderRejected':
      return log.warn(
        'order rejected by the venue',
        idsOf(e, { reason: e.reason, detail: e.message }),
      );
    case 'OrderUnknown':
      return log.warn('order outcome unknown', idsOf(e, { reason: e.reason }));
    case 'OrderPendingCancel':
      return log.info('order cancel sent', idsOf(e, undefined));
    case 'OrderCancelRejected':
      return log.warn('order cancel rejected', idsOf(e, { reason: e.reason }));
    case 'OrderCanceled':
      return log.info('order canceled', idsOf(e, { reason: e.reason }));
    case 'OrderExpired':
      return log.info('order expired', idsOf(e, { reason: e.reason }));
    case 'OrderFilled': {
      const f = e.fill;
      return log.info(
        'order filled',
        idsOf(e, {
          tradeId: f.tradeId,
          side: f.side,
          quantity: f.quantity.toString(),
          price: f.price.toString(),
          fee: `${f.fee.amount.toFixed()} ${f.fee.currency}`,
          liquidity: f.liquidity,
        }),
      );
    }
    default:
      return assertNever(e);
  }
}

/**
 * An `onAlert` that logs each alert (component `alerts`, `code`): drift, overfills, a replay
 * mismatch and an order not sent at `error`, the others (rate limits, late fills…) at `warn`.
 *
 * @example
 * TradingCore.open({ ..., onAlert: alertLogger(logger) });
 */
export function alertLogger(logger: Logger): (alert: Alert) => void {
  const log = logger.child({ component: 'alerts' });
  return (a) => {
    const fields = { code: a.code, detail: a.message };
    if (SEVERE_ALERTS.has(a.code)) log.error(`alert ${a.code}`, fields);
    else log.warn(`alert ${a.code}`, fields);
  };
}

/**
 * Logs a reconciliation's result (component `reconciliation`): what it resolved and applied at
 * `info`, with drift at `warn`, nothing to do at `debug`.
 *
 * @example
 * logReconciliation(logger, await core.reconcile(), 'PAPER');
 */
export function logReconciliation(logger: Logger, r: ReconciliationResult, venue: string): void {
  const log = logger.child({ component: 'reconciliation', venue });
  const fields = { resolved: r.resolved.length, fillsApplied: r.fillsApplied };
  // Each drift is also an alert (`RECONCILIATION_DRIFT`, logged by `alertLogger`).
  if (r.drift.length > 0)
    log.warn('reconciled with the venue: drift', {
      ...fields,
      drift: r.drift,
      clientOrderIds: r.resolved,
    });
  else if (r.resolved.length > 0 || r.fillsApplied > 0)
    log.info('reconciled with the venue', { ...fields, clientOrderIds: r.resolved });
  else if (log.enabled('debug')) log.debug('reconciled with the venue: nothing to do', fields);
}
