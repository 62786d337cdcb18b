import type { RootLogger } from '../monitoring/logger.js';
import type { Config } from '../system/config.js';
import { alertLogger, logReconciliation, logTradingEvents } from '../system/trading-log.js';
import type { MessageBus } from '../trading/bus/message-bus.js';
import type { LogLevel } from '../trading/core/logger.js';
import type { ReconciliationResult } from '../trading/live/reconciler.js';
import type { Alert } from '../trading/model/alert.js';
import { rootLogger } from './root-logger.js';

/** What `paper` and `live` log through (their story for the user stays on stdout). */
export interface RunLogging {
  readonly logger: RootLogger;
  /** The node's and the venue's `onAlert`: one line per alert (component `alerts`). */
  readonly onAlert: (alert: Alert) => void;
  /**
   * A line of the venue adapter (a stream failure, a reconnect, the request budget): printed on
   * stdout for the user as before, and logged (component `venue`; failures at `warn`).
   */
  readonly venueLine: (line: string) => void;
  /** The node's `observe`: every order state change, denial and trading-state change. */
  readonly observe: (bus: Pick<MessageBus, 'subscribe'>) => void;
  /** The node's `onReconciled`: each reconciliation's result (component `reconciliation`). */
  readonly onReconciled: (result: ReconciliationResult) => void;
}

/** A venue line that reports something going wrong. */
const TROUBLE =
  /fail|unknown|not resolved|not an order|error|refused|no bars|polling REST|banned|waiting/i;

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
  const venueLog = logger.child({ component: 'venue', venue });
  return {
    logger,
    onAlert: alertLogger(logger),
    venueLine: (line) => {
      process.stdout.write(`${line}\n`);
      if (TROUBLE.test(line)) venueLog.warn(line);
      else venueLog.info(line);
    },
    observe: (bus) => void logTradingEvents(bus, logger, venue),
    onReconciled: (result) => logReconciliation(logger, result, venue),
  };
}
