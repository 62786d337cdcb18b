/** The outcome of an operation that can fail in an expected way. */
export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/**
 * A success.
 *
 * @example
 * const r: Result<number, string> = ok(1);
 */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/**
 * A failure.
 *
 * @example
 * const r: Result<number, string> = err('NOPE');
 */
export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
