import winston from 'winston';
import {
  levelEnabled,
  type LogFields,
  type Logger,
  type LogLevel,
} from '../trading/core/logger.js';
import { MAX_ITEMS as REDACTOR_MAX_ITEMS, Redactor } from './redactor.js';

/** How `createLogger` writes. */
export interface LoggerOptions {
  /** The least severe level written (`LOG_LEVEL`; default `info`). */
  readonly level?: LogLevel;
  /**
   * `json`: one object a line (for machines); `pretty`: one coloured, readable line; `auto`
   * (default): `pretty` when writing to a stderr that is a terminal, else `json`.
   */
  readonly format?: 'json' | 'pretty' | 'auto';
  /**
   * Where a finished line goes, without its newline (default: stderr). With `flush: 'turn'` one
   * call may carry several lines, separated by newlines (still none at the end).
   */
  readonly write?: (line: string) => void;
  /**
   * When a line is written. `line`: before `log()` returns. `turn`: an `info` or `debug` line at
   * the end of the event loop's turn, together with the turn's other lines (one `write`); a
   * `warn` or `error` line at once, with the lines still waiting before it; whatever waits when
   * the process exits (`process.exit`, an uncaught exception, the end of its work) on its way
   * out. Default: `turn` when writing to stderr, `line` with a `write` of one's own.
   */
  readonly flush?: 'line' | 'turn';
  /** The wall clock (default `Date.now`). */
  readonly now?: () => number;
  /** Fields on every line (e.g. `{ service: 'kairos' }`). */
  readonly fields?: LogFields;
  /** Values never to be written, wherever they appear (API keys, passwords; see `Redactor`). */
  readonly secrets?: Iterable<string>;
}

/** The root logger: a `Logger` that can be told more secrets to keep out of its lines. */
export interface RootLogger extends Logger {
  /** From now on, `value` is replaced by `[REDACTED]` wherever it would appear (≥ 8 characters). */
  addSecret(value: string): void;
}

const COLOURS: Readonly<Record<LogLevel, string>> = {
  error: 'red',
  warn: 'yellow',
  info: 'green',
  debug: 'gray',
};
/** Keys every line starts with, in this order; fields cannot overwrite them. */
const HEAD_KEYS: ReadonlySet<string> = new Set(['time', 'level', 'message', 'component']);

winston.addColors(COLOURS);

const writeStderr = (line: string) => {
  process.stderr.write(`${line}\n`);
};

/** A turn's lines are written once they hold this many characters, without waiting for its end. */
const TURN_MAX_CHARS = 64 * 1024;
/** Writers with lines waiting for the end of the turn (or the process's exit). */
const waiting = new Set<TurnWriter>();
let flushQueued = false;
let exitHooked = false;

function flushWaiting(): void {
  flushQueued = false;
  for (const w of waiting) w.flush();
}

/**
 * Lines held until the end of the event loop's turn and then written in one call: a write is a
 * system call (~2–6 µs of CPU here), and a `POST /orders` logs four lines, most in one turn
 * (docs/logging.md, "When a line is written").
 */
class TurnWriter {
  #text = '';

  constructor(private readonly write: (text: string) => void) {}

  /** Adds `line`; `now`: writes it, and those waiting before it, at once. */
  add(line: string, now: boolean): void {
    this.#text = this.#text === '' ? line : `${this.#text}\n${line}`;
    if (now || this.#text.length >= TURN_MAX_CHARS) return this.flush();
    if (waiting.has(this)) return;
    waiting.add(this);
    if (!exitHooked) {
      exitHooked = true;
      // Synchronous, so the lines are out before the process is: `exit` is emitted by
      // process.exit(), by an uncaught exception's exit and when the loop has nothing left.
      process.on('exit', flushWaiting);
    }
    if (!flushQueued) {
      flushQueued = true;
      // Unref'd: a process with nothing else to do exits at once, its lines written on `exit`.
      setImmediate(flushWaiting).unref();
    }
  }

  flush(): void {
    waiting.delete(this);
    const text = this.#text;
    if (text === '') return;
    this.#text = '';
    try {
      this.write(text);
    } catch {
      // a writer that fails must not take the caller down
    }
  }
}

/** The one stderr writer every `turn` logger on stderr shares, so their lines keep their order. */
let stderrTurns: TurnWriter | undefined;

const colours = winston.format.colorize();

/** Control characters (a newline, an escape sequence) written as `\u001b`: one line, no forged colours. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const printable = (s: string) =>
  s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A readable line: `<time> LEVEL [component] message key=value …`, the level coloured. */
const pretty = winston.format.printf((info) => {
  const { time, level, message, component, ...rest } = info as Record<string, unknown>;
  const parts = [
    String(time),
    colours.colorize(String(level), String(level).toUpperCase().padEnd(5)),
  ];
  if (component !== undefined) parts.push(`[${printable(String(component))}]`);
  parts.push(printable(String(message)));
  for (const [key, value] of Object.entries(rest)) {
    const text =
      typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
    parts.push(printable(`${key}=${text}`));
  }
  return parts.join(' ');
});

/** One JSON object, keys in the order the line was built (`time`, `level`, `message`, …). */
const jsonLine = winston.format.printf((info) => JSON.stringify(info));

/** Where winston's formats leave the finished line (triple-beam's `MESSAGE`). */
const MESSAGE = Symbol.for('message');

interface Core {
  readonly format: winston.Logform.Format;
  /** Writes a finished line; `urgent` (a warning or an error): at once, whatever the flush. */
  readonly write: (line: string, urgent: boolean) => void;
  readonly threshold: LogLevel;
  readonly redactor: Redactor;
  readonly now: () => number;
}

/**
 * The process's logger, on winston: JSON lines (`time`, `level`, `message`, `component`, then the
 * fields: `requestId`, `userId`, `strategyId`, `clientOrderId`, `venue`, …) or, on a terminal, a
 * coloured readable line; `level` is the threshold (`LOG_LEVEL`) and `child(fields)` gives each
 * component its own. Every line goes through a `Redactor` first, which cannot be turned off:
 * secret fields lose their value at any depth and secret-looking values are scrubbed from every
 * string. Logging never throws.
 *
 * @example
 * const root = createLogger({ level: config.logLevel, fields: { service: 'kairos' } });
 * const log = root.child({ component: 'execution' });
 * log.info('order accepted', { clientOrderId: 'sma-1', venue: 'binance' });
 * // {"time":"2026-12-03T14:00:00.000Z","level":"info","message":"order accepted","component":"execution","service":"kairos","clientOrderId":"sma-1","venue":"binance"}
 */
export function createLogger(options: LoggerOptions = {}): RootLogger {
  const flush = options.flush ?? (options.write === undefined ? 'turn' : 'line');
  let write: Core['write'];
  if (flush === 'line') {
    const w = options.write ?? writeStderr;
    write = (line) => w(line);
  } else {
    const turns =
      options.write === undefined
        ? (stderrTurns ??= new TurnWriter(writeStderr))
        : new TurnWriter(options.write);
    write = (line, urgent) => turns.add(line, urgent);
  }
  const format = options.format ?? 'auto';
  const usePretty =
    format === 'pretty' ||
    (format === 'auto' && options.write === undefined && process.stderr.isTTY === true);
  const threshold = options.level ?? 'info';
  const redactor = new Redactor(options.secrets);
  const core: Core = {
    format: usePretty ? pretty : jsonLine,
    write,
    threshold,
    redactor,
    now: options.now ?? Date.now,
  };
  const root = new WinstonLogger(core, options.fields ?? {});
  return Object.assign(root, {
    addSecret: (value: string) => redactor.addSecret(value),
  });
}

/** `new Date(ms).toISOString()`, made once for all the lines of the same millisecond. */
let isoMs = Number.NaN;
let iso = '';
function isoTime(ms: number): string {
  if (ms !== isoMs) {
    iso = new Date(ms).toISOString();
    isoMs = ms;
  }
  return iso;
}

class WinstonLogger implements Logger {
  /** This logger's own fields, redacted: the same on every line, so made once (again after a new secret). */
  #own:
    | { readonly secrets: number; readonly fields: Record<string, unknown>; readonly count: number }
    | undefined;

  constructor(
    private readonly core: Core,
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
    return new WinstonLogger(this.core, Object.assign({}, this.fields, fields));
  }

  enabled(level: LogLevel): boolean {
    return levelEnabled(level, this.core.threshold);
  }

  /** The line's fields, redacted: this logger's, then the line's own (which win a clash). */
  #lineFields(redactor: Redactor, fields: LogFields | undefined): Record<string, unknown> {
    const secrets = redactor.secretsAdded;
    let own = this.#own;
    if (own === undefined || own.secrets !== secrets) {
      const made = redactor.fields(this.fields);
      own = { secrets, fields: made, count: Object.keys(made).length };
      // Kept only when no field holds an object (one could change between lines).
      if (Object.values(this.fields).every((v) => v === null || typeof v !== 'object'))
        this.#own = own;
    }
    if (fields === undefined) return own.fields;
    const line = redactor.fields(fields);
    // Past the redactor's item bound the two are cut as one object, as before they were kept apart.
    if (own.count + Object.keys(line).length > REDACTOR_MAX_ITEMS)
      return redactor.fields(Object.assign({}, this.fields, fields));
    return own.count === 0 ? line : Object.assign({}, own.fields, line);
  }

  private log(level: LogLevel, message: string, fields: LogFields | undefined): void {
    if (!this.enabled(level)) return;
    let line: string;
    try {
      const { redactor } = this.core;
      const all = this.#lineFields(redactor, fields);
      const entry: Record<string, unknown> = {
        time: isoTime(this.core.now()),
        level,
        message: redactor.text(String(message)),
      };
      if (all.component !== undefined) entry.component = all.component;
      // Copied past, not deleted: `delete` turns an object into a slow dictionary.
      for (const key in all) if (!HEAD_KEYS.has(key)) entry[key] = all[key];
      // winston's format makes the line, written at once: its logger's object-mode stream
      // pipeline cost ~50 µs a line, 25x the line itself (docs/logging.md).
      const { format } = this.core;
      const info = format.transform(entry as winston.Logform.TransformableInfo, format.options);
      if (info === false) return;
      line = (info as unknown as Record<symbol, unknown>)[MESSAGE] as string;
    } catch {
      // a line that cannot be built is lost, never the caller's work
      return;
    }
    try {
      this.core.write(line, level === 'warn' || level === 'error');
    } catch {
      // a writer that fails must not take the caller down
    }
  }
}
