import {
  levelEnabled,
  type LogFields,
  type Logger,
  type LogLevel,
} from '../trading/core/logger.js';

/** How `createConsoleLogger` writes. */
export interface ConsoleLoggerOptions {
  /** The least severe level written (default `info`). */
  readonly level?: LogLevel;
  /** `json`: one object a line (for machines); `text`: one readable line (default `json`). */
  readonly format?: 'json' | 'text';
  /** Where a finished line goes, without its newline (default: stderr). */
  readonly write?: (line: string) => void;
  /** The wall clock (default `Date.now`). */
  readonly now?: () => number;
  /** Fields on every line (e.g. `{ service: 'kairos' }`). */
  readonly fields?: LogFields;
}

const writeStderr = (line: string) => {
  process.stderr.write(`${line}\n`);
};

/**
 * A logger that writes one line per call: a JSON object (`time`, `level`, `msg`, then the
 * fields) or a readable line (`<time> INFO  <msg> key=value ...`). It never throws: a field
 * that cannot be serialised is replaced by a note saying so.
 *
 * @example
 * const log = createConsoleLogger({ level: config.logLevel }).child({ component: 'serve' });
 * log.info('order accepted', { clientOrderId: 'sma-1', venue: 'binance' });
 * // {"time":"2026-12-03T14:00:00.000Z","level":"info","msg":"order accepted","component":"serve",...}
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  return new ConsoleLogger(
    options.level ?? 'info',
    options.format === 'text' ? textLine : jsonLine,
    options.write ?? writeStderr,
    options.now ?? Date.now,
    options.fields ?? {},
  );
}

type Format = (time: string, level: LogLevel, message: string, fields: LogFields) => string;

class ConsoleLogger implements Logger {
  constructor(
    private readonly threshold: LogLevel,
    private readonly format: Format,
    private readonly write: (line: string) => void,
    private readonly now: () => number,
    private readonly fields: LogFields,
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }

  child(fields: LogFields): Logger {
    return new ConsoleLogger(this.threshold, this.format, this.write, this.now, {
      ...this.fields,
      ...fields,
    });
  }

  enabled(level: LogLevel): boolean {
    return levelEnabled(level, this.threshold);
  }

  private log(level: LogLevel, message: string, fields: LogFields | undefined): void {
    if (!this.enabled(level)) return;
    const all = fields === undefined ? this.fields : { ...this.fields, ...fields };
    this.write(this.format(new Date(this.now()).toISOString(), level, message, all));
  }
}

/** JSON for values JSON.stringify cannot take as they are: errors, bigints. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      ...(code === undefined ? {} : { code }),
      ...(value.stack === undefined ? {} : { stack: value.stack }),
    };
  }
  return value;
}

function stringify(value: unknown): string {
  try {
    return JSON.stringify(value, replacer) ?? String(value);
  } catch (e) {
    return JSON.stringify(`[unserialisable: ${(e as Error).message}]`);
  }
}

const jsonLine: Format = (time, level, msg, fields) => {
  const head = { time, level, msg };
  try {
    // The line's own keys come first and cannot be overwritten by a field of the same name.
    return JSON.stringify(Object.assign({ ...head }, fields, head), replacer);
  } catch (e) {
    return JSON.stringify({ ...head, fields: `[unserialisable: ${(e as Error).message}]` });
  }
};

const textLine: Format = (time, level, msg, fields) => {
  const parts = [time, level.toUpperCase().padEnd(5), msg];
  for (const [key, value] of Object.entries(fields)) {
    const text = typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : stringify(value);
    parts.push(`${key}=${text}`);
  }
  return parts.join(' ');
};
