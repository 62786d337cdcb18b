import { types } from 'node:util';
import { InvariantError, KairosError } from '../../core/errors.js';
import { DataFormatError } from '../../data/readers/data-format-error.js';

/** An error as plain data, to post between threads (a class and its fields do not survive a clone). */
export interface ErrorData {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** Own properties: `code`; a `DataFormatError`'s `file`, `line`, `field`; a system error's `errno`, `syscall`, `path`. */
  readonly props: Readonly<Record<string, string | number>>;
  readonly cause?: ErrorData;
}

const STANDARD = [TypeError, RangeError, SyntaxError, ReferenceError, URIError, EvalError];
const PROPS = ['code', 'file', 'line', 'field', 'errno', 'syscall', 'path'];

/**
 * `e` as plain data (`errorFromData` makes it again).
 *
 * @example
 * port.postMessage({ kind: 'error', error: errorAsData(e) });
 */
export function errorAsData(e: unknown): ErrorData {
  // Node's own errors may come from another realm (a VM context's `Error` is not theirs).
  if (!(e instanceof Error || types.isNativeError(e)))
    return { name: 'Error', message: String(e), props: {} };
  const props: Record<string, string | number> = {};
  for (const p of PROPS) {
    const v = (e as unknown as Record<string, unknown>)[p];
    if (typeof v === 'string' || typeof v === 'number') props[p] = v;
  }
  return {
    name: e.name,
    message: e.message,
    ...(e.stack === undefined ? {} : { stack: e.stack }),
    props,
    ...(e.cause === undefined ? {} : { cause: errorAsData(e.cause) }),
  };
}

/**
 * The error `errorAsData` took apart: the same class (`DataFormatError`, `KairosError`,
 * `InvariantError`, JavaScript's own; any other is an `Error` of the same name), message, fields and stack (the
 * thread's where it was thrown).
 *
 * @example
 * throw errorFromData(message.error);
 */
export function errorFromData(d: ErrorData): Error {
  const p = d.props;
  const cause = d.cause === undefined ? {} : { cause: errorFromData(d.cause) };
  let e: Error;
  if (d.name === 'DataFormatError')
    e = new DataFormatError(String(p.file), Number(p.line), String(p.field), '');
  else if (d.name === 'KairosError') e = new KairosError(String(p.code), d.message, cause);
  else if (d.name === 'InvariantError') e = new InvariantError(String(p.code), '');
  else {
    const Standard = STANDARD.find((c) => c.name === d.name) ?? Error;
    e = Object.assign(new Standard(d.message, cause), p);
    if (e.name !== d.name) e.name = d.name;
  }
  e.message = d.message;
  if (d.stack !== undefined) e.stack = d.stack;
  return e;
}
