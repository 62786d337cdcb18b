import { KairosError } from '../trading/core/errors.js';

/** Postgres class 08 (connection exception), 57P0x (ended by an operator, shutting down), 25P03 (idle in transaction too long). */
const CONNECTION_SQLSTATE = /^(08|57P0|25P03)/;
/** Socket errors of a connection that could not be made or was cut. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether an error says the database could not be reached or dropped the connection (as
 * opposed to refusing a statement): node-postgres raises these as a SQLSTATE of class 08 or
 * 57P0x, a socket error code, or a bare "Connection terminated" error.
 */
export function isConnectionFailure(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : '';
  const message = typeof err?.message === 'string' ? err.message : '';
  return (
    CONNECTION_SQLSTATE.test(code) ||
    SOCKET_CODES.has(code) ||
    /Connection terminated|connection error|timeout exceeded when trying to connect/i.test(message)
  );
}

/** The database away, as the API answers it: 503 `STORE_UNAVAILABLE` with the driver's reason. */
export function storeUnavailable(e: unknown): KairosError {
  return new KairosError(
    'STORE_UNAVAILABLE',
    `the database did not answer: ${(e as Error).message}`,
    {
      cause: e,
    },
  );
}

/**
 * The error as the API should see it: a connection failure becomes `STORE_UNAVAILABLE` (503,
 * retried by the client) rather than an internal error; anything else unchanged.
 */
export function asStoreUnavailable(e: unknown): unknown {
  return e instanceof KairosError || !isConnectionFailure(e) ? e : storeUnavailable(e);
}
