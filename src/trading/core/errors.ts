/**
 * A broken invariant: a bug or corrupt state. It is thrown and crashes the run (fail fast).
 *
 * @example
 * throw new InvariantError('ORDER_ILLEGAL_TRANSITION', 'FILLED -> ACCEPTED');
 */
export class InvariantError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'InvariantError';
  }
}

/**
 * An expected failure with a stable code (bad input, infrastructure), listed in `docs/errors.md`.
 *
 * @example
 * throw new KairosError('CONFIG_INVALID', '--cash: must be a positive decimal');
 */
export class KairosError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KairosError';
  }
}

/**
 * Ends a `switch` over a discriminated union; TypeScript proves it unreachable.
 *
 * @example
 * switch (e.kind) { case 'A': ...; default: assertNever(e); }
 */
export function assertNever(x: never): never {
  throw new InvariantError('UNREACHABLE', `unexpected value ${JSON.stringify(x)}`);
}
