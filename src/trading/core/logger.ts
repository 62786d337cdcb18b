/** How loud a log line is, from the least to the most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The levels in order of severity (a logger at `info` writes `info`, `warn` and `error`). */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Structured fields of a log line: ids in play (`clientOrderId`, `venue`), counts, an `err`. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logging port. The domain and the engines log through it; `src/monitoring` implements it
 * (`createLogger`, on winston, with redaction) and the composition root builds it. Fields are data, never
 * interpolated into the message, so a log reader can filter on them.
 *
 * @example
 * const log = root.child({ component: 'execution' });
 * log.info('order accepted', { clientOrderId, venue });
 * if (log.enabled('debug')) log.debug('book', { levels: book.bids.length });
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line it writes (its own fields win on a clash). */
  child(fields: LogFields): Logger;
  /** Whether a line at `level` would be written (to skip building costly fields). */
  enabled(level: LogLevel): boolean;
}

/**
 * Whether `value` names a log level.
 *
 * @example
 * isLogLevel('warn'); // true
 */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * Whether a line at `level` passes a logger whose threshold is `threshold`.
 *
 * @example
 * levelEnabled('debug', 'info'); // false
 */
export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

/**
 * A logger that writes nothing: the default of every component that takes an optional logger.
 *
 * @example
 * const log = options.logger ?? noopLogger;
 */
export const noopLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => noopLogger,
  enabled: () => false,
};
