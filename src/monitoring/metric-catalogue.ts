import type { HistogramDefinition, MetricDefinition } from '../trading/core/metrics.js';

/**
 * Every metric a Kairos process publishes, declared once. Instrumentation, the Prometheus
 * endpoint, the CloudWatch sinks and the alarm definitions all name metrics through this table,
 * so a renamed metric cannot leave an alarm watching nothing. Labels come from small bounded
 * sets (venue, status, reason code, route template, scope), never an order, user or request id.
 * `docs/operations.md` lists them for operators.
 */
export const METRICS = {
  orderLatency: {
    name: 'kairos_order_latency_seconds',
    help: 'Tick to acknowledgement: from the event that made the order to the venue accepting it',
    labelNames: ['venue'],
    unit: 'seconds',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  },
  httpDuration: {
    name: 'kairos_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    unit: 'seconds',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  },
  orders: {
    name: 'kairos_orders_total',
    help: 'Order state changes by venue and resulting status',
    labelNames: ['venue', 'status'],
  },
  denials: {
    name: 'kairos_risk_denials_total',
    help: 'Orders denied by the risk gate, by reason code',
    labelNames: ['reason'],
  },
  fills: {
    name: 'kairos_fills_total',
    help: 'Fills booked, by venue',
    labelNames: ['venue'],
  },
  reconciliations: {
    name: 'kairos_reconciliations_total',
    help: 'Reconciliation runs with the venue, by result (clean, drift, failed)',
    labelNames: ['venue', 'result'],
  },
  reconciliationDrift: {
    name: 'kairos_reconciliation_drift',
    help: 'Differences the last reconciliation found and repaired (orders, fills, balances)',
    labelNames: ['venue'],
  },
  unresolvedOrders: {
    name: 'kairos_unresolved_orders',
    help: 'Orders whose outcome at the venue is still unknown',
  },
  unresolvedOldest: {
    name: 'kairos_unresolved_order_oldest_seconds',
    help: 'Age of the oldest order whose outcome is still unknown (0 when none)',
    unit: 'seconds',
  },
  omsOrdersHeld: {
    name: 'kairos_oms_orders_held',
    help: 'Orders the OMS holds in memory: the open ones and those closed within closedOrderRetentionMs',
  },
  venueConnected: {
    name: 'kairos_venue_connected',
    help: '1 when the venue connection (market data or private stream) is up, else 0',
    labelNames: ['venue', 'channel'],
  },
  venueReconnects: {
    name: 'kairos_venue_reconnects_total',
    help: 'Venue connections re-established after a loss',
    labelNames: ['venue', 'channel'],
  },
  liveAccounts: {
    name: 'kairos_live_accounts',
    help: 'Live accounts this instance keeps on a venue, by the state of their link (UP, DOWN, DISABLED)',
    labelNames: ['venue', 'state'],
  },
  parkedTradesDropped: {
    name: 'kairos_venue_trades_dropped_total',
    help: 'Our trades of a venue order never linked, dropped from where they waited (PARKED_TRADE_DROPPED)',
    labelNames: ['venue'],
  },
  budgetBans: {
    name: 'kairos_request_budget_bans_total',
    help: 'Rate-limit answers from a venue (429 back-off, 418 ban)',
    labelNames: ['venue', 'status_code'],
  },
  wsClients: {
    name: 'kairos_ws_clients',
    help: 'WebSocket clients connected',
  },
  wsDropped: {
    name: 'kairos_ws_dropped_consumers_total',
    help: 'WebSocket clients disconnected for reading too slowly',
  },
  wsRefused: {
    name: 'kairos_ws_refused_connections_total',
    help: 'WebSocket upgrades refused: their client address held the most connections allowed',
  },
  wsResumes: {
    name: 'kairos_ws_resumes_total',
    help: 'WebSocket resumes per account or instrument: from the event log, or a snapshot past its bound',
    labelNames: ['result'],
  },
  wsLogErrors: {
    name: 'kairos_ws_event_log_errors_total',
    help: 'WebSocket frames not appended to the event log, or lost to this instance',
    labelNames: ['kind'],
  },
  wsSubscribeRetries: {
    name: 'kairos_ws_subscribe_retries',
    help: 'WebSocket subscriptions the event log did not answer, waiting for the server to retry them',
  },
  killSwitch: {
    name: 'kairos_kill_switch_engaged',
    help: 'Scopes (global, account, strategy) in which trading is halted or reducing only',
    labelNames: ['scope', 'state'],
  },
  dbCommit: {
    name: 'kairos_db_commit_duration_seconds',
    help: 'Time to commit a store transaction',
    unit: 'seconds',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  },
  dbPool: {
    name: 'kairos_db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting)',
    labelNames: ['state'],
  },
  persistenceFailures: {
    name: 'kairos_persistence_failures_total',
    help: 'Store or audit writes that failed (orders are refused while they fail)',
    labelNames: ['code'],
  },
  cacheRequests: {
    name: 'kairos_cache_requests_total',
    help: 'Cache look-ups by cache and result (hit, miss)',
    labelNames: ['cache', 'result'],
  },
  lambdaInvocations: {
    name: 'kairos_lambda_invocations_total',
    help: 'Strategy Lambda invocations by result (ok, error, timeout, throttled)',
    labelNames: ['result'],
  },
  lambdaDuration: {
    name: 'kairos_lambda_invocation_duration_seconds',
    help: 'Round trip of one strategy Lambda invocation',
    unit: 'seconds',
  },
  metricsDropped: {
    name: 'kairos_metrics_dropped_total',
    help: 'Metric data the CloudWatch sink dropped (buffer full or endpoint failing)',
    labelNames: ['sink'],
  },
} as const satisfies Record<string, MetricDefinition | HistogramDefinition>;

/** Metrics prom-client's default collectors publish (event loop, heap, CPU), named as it names them. */
export const RUNTIME_METRICS = {
  eventLoopLagP99: 'nodejs_eventloop_lag_p99_seconds',
  heapUsed: 'nodejs_heap_size_used_bytes',
} as const;
