import type { RootLogger } from '../monitoring/logger.js';
import type { MetricsRegistry } from '../monitoring/metrics-registry.js';
import { processMetrics } from '../system/process-metrics.js';
import { startMetricsServer, type MetricsServer } from '../monitoring/metrics-server.js';
import type { Config } from '../system/config.js';
import { alertLogger, logReconciliation, logTradingEvents } from '../system/trading-log.js';
import {
  countAlerts,
  countReconciliations,
  countTradingEvents,
  venueConnection,
  venueLineMetrics,
  type TradingMetrics,
} from '../system/trading-metrics.js';
import type { MessageBus } from '../trading/bus/message-bus.js';
import type { Logger, LogLevel } from '../trading/core/logger.js';
import type { ReconciliationResult } from '../trading/live/reconciler.js';
import type { Alert } from '../trading/model/alert.js';
import { checkPortFree } from './port-check.js';
import { rootLogger } from './root-logger.js';

/** What `paper` and `live` log through (their story for the user stays on stdout). */
export interface RunLogging {
  readonly logger: RootLogger;
  /** The node's and the venue's `onAlert`: one line per alert (component `alerts`). */
  readonly onAlert: (alert: Alert) => void;
  /**
   * A line of the venue adapter (a stream failure, a reconnect, the request budget): printed on
   * stdout for the user, and logged (component `venue`; failures at `warn`); once, on a terminal
   * (`venueLinePrinter`).
   */
  readonly venueLine: (line: string) => void;
  /** The node's `observe`: every order state change, denial and trading-state change. */
  readonly observe: (bus: Pick<MessageBus, 'subscribe'>) => void;
  /** The node's `onReconciled`: each reconciliation's result (component `reconciliation`). */
  readonly onReconciled: (result: ReconciliationResult) => void;
  /**
   * The run's metrics (the hooks above also count), or null: `KAIROS_METRICS=off`, or nowhere
   * to publish them (no `METRICS_PORT` and no CloudWatch sink). Give it to the store and Lambda.
   */
  readonly metrics: MetricsRegistry | null;
  /** Opens `GET /metrics` on `METRICS_PORT` when set (logged); answers its URL, or null. */
  openMetrics(): Promise<string | null>;
  /** Stops counting and closes the listener (again: nothing). */
  closeMetrics(): Promise<void>;
}

/** A venue line that reports something going wrong. */
const TROUBLE =
  /fail|unknown|not resolved|not an order|error|refused|no bars|polling REST|banned|waiting/i;

/**
 * A venue adapter's line, for the user and the log: logged (component `venue`; trouble at
 * `warn`) and printed on stdout, except when stdout and stderr are one terminal and the log
 * already shows it there (its readable line): the user reads each line once, and a log file or
 * a pipe still gets every line.
 *
 * @example
 * const venueLine = venueLinePrinter(venueLog, { stdout: true, stderr: false }, (l) => process.stdout.write(`${l}\n`));
 */
export function venueLinePrinter(
  log: Logger,
  terminal: { readonly stdout: boolean; readonly stderr: boolean },
  print: (line: string) => void,
): (line: string) => void {
  return (line) => {
    const level = TROUBLE.test(line) ? 'warn' : 'info';
    if (!(terminal.stdout && terminal.stderr && log.enabled(level))) print(line);
    log[level](line);
  };
}

/**
 * The logging of a trading run: the root logger at `LOG_LEVEL` (never below `atLeast`) on
 * stderr, and the hooks that feed it from the node and the venue.
 *
 * @example
 * const logs = runLogging(config, 'live', 'binance');
 * new TradingNode({ ..., onAlert: logs.onAlert, observe: logs.observe, onReconciled: logs.onReconciled });
 */
export function runLogging(
  config: Config,
  command: string,
  venue: string,
  atLeast?: LogLevel,
): RunLogging {
  const logger = rootLogger(config, command, atLeast === undefined ? {} : { atLeast });
  const printVenueLine = venueLinePrinter(
    logger.child({ component: 'venue', venue }),
    { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
    (line) => process.stdout.write(`${line}\n`),
  );
  const { sink, port } = config.metrics;
  const processed =
    sink !== 'off' && (port !== undefined || sink === 'emf' || sink === 'cloudwatch')
      ? processMetrics(config)
      : null;
  processed?.start();
  const metrics = processed?.registry ?? null;
  const logAlert = alertLogger(logger);
  const countAlert = metrics ? countAlerts(metrics, venue) : null;
  const countReconciled = metrics ? countReconciliations(metrics, venue) : null;
  const connection = metrics ? venueConnection(metrics, venue) : null;
  const countVenueLine = connection ? venueLineMetrics(connection) : null;
  let counted: TradingMetrics | null = null;
  let sampling: NodeJS.Timeout | null = null;
  let server: MetricsServer | null = null;
  return {
    logger,
    onAlert: (alert) => {
      logAlert(alert);
      countAlert?.(alert);
    },
    venueLine: (line) => {
      printVenueLine(line);
      countVenueLine?.(line);
    },
    observe: (bus) => {
      logTradingEvents(bus, logger, venue);
      if (!metrics) return;
      counted?.stop();
      counted = countTradingEvents(bus, metrics, { venue });
      // Recovered and about to trade: the venue answered.
      connection?.up('market-data');
      connection?.up('orders');
      if (sampling) clearInterval(sampling);
      const c = counted;
      sampling = setInterval(() => c.sample(), 1_000);
      sampling.unref();
    },
    onReconciled: (result) => {
      logReconciliation(logger, result, venue);
      countReconciled?.(result);
    },
    metrics,
    openMetrics: async () => {
      if (!metrics || port === undefined || server) return server?.url ?? null;
      // A taken port fails with PORT_IN_USE naming METRICS_PORT, before the run starts.
      await checkPortFree(config.metrics.host, port, 'METRICS_PORT');
      server = await startMetricsServer(metrics, { host: config.metrics.host, port });
      logger.info('metrics listening', { component: 'metrics', url: server.url });
      return server.url;
    },
    closeMetrics: async () => {
      if (sampling) clearInterval(sampling);
      counted?.stop();
      await processed?.stop();
      const s = server;
      server = null;
      await s?.close();
    },
  };
}
