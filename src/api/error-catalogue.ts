/** What the API answers for one error code: the HTTP status and the problem's `title`. */
export interface ApiErrorEntry {
  readonly status: number;
  readonly title: string;
}

const e = (status: number, title: string): ApiErrorEntry => ({ status, title });
const denied = e(422, 'Order denied');

/**
 * Every error code the API answers with (`application/problem+json`, `code` field), with its
 * HTTP status and title: the one table `problem.ts` answers from, `/docs/json` describes its
 * statuses from, and `docs/errors.md` is checked against (`test/unit/api/error-catalogue.test.ts`).
 * A `KairosError` whose code is not here answers 400 with its code.
 */
export const API_ERRORS = {
  // 400: the request breaks a rule; the detail names the field
  VALIDATION: e(400, 'Invalid input'),
  BAD_URL: e(400, 'Malformed URL'),
  MALFORMED_BODY: e(400, 'Malformed body'),
  BAD_REQUEST: e(400, 'Bad request'),
  CURSOR_INVALID: e(400, 'Not a cursor of this API'),
  CATALOG_NAME_INVALID: e(400, 'Not a catalog name'),
  BACKTEST_INVALID: e(400, 'Invalid backtest request'),
  PARAM_UNKNOWN: e(400, 'Unknown strategy parameter'),
  PARAM_INVALID: e(400, 'Invalid strategy parameter'),
  STRATEGY_BUILD: e(400, 'Strategy does not build'),
  STRATEGY_LOAD: e(400, 'Strategy does not load'),
  STRATEGY_EXPORT: e(400, 'No strategy export'),
  STRATEGY_INVALID: e(400, 'Invalid strategy definition'),
  PASSWORD_WEAK: e(400, 'Password too weak'),
  USER_INVALID: e(400, 'Invalid user'),
  CREDENTIAL_INVALID: e(400, 'Invalid credential'),
  RISK_LIMIT_INVALID: e(400, 'Invalid risk limit'),
  ACCOUNT_INVALID: e(400, 'Invalid account'),
  LAMBDA_PACKAGE_TOO_LARGE: e(400, 'Strategy package too large'),
  // 401: who is asking is not established
  AUTH_REQUIRED: e(401, 'Authentication required'),
  AUTH_FAILED: e(401, 'Login failed'),
  AUTH_INVALID_TOKEN: e(401, 'Invalid token'),
  AUTH_TOKEN_EXPIRED: e(401, 'Token expired'),
  AUTH_SESSION_REVOKED: e(401, 'Session revoked'),
  AUTH_REFRESH_REUSED: e(401, 'Refresh token reused'),
  MFA_FAILED: e(401, 'Second factor failed'),
  FORBIDDEN: e(403, 'Forbidden'),
  NOT_FOUND: e(404, 'Not found'),
  USER_NOT_FOUND: e(404, 'User not found'),
  CREDENTIAL_NOT_FOUND: e(404, 'Credential not found'),
  STRATEGY_NOT_FOUND: e(404, 'Strategy not found'),
  DATA_NOT_FOUND: e(404, 'Data file not found'),
  LAMBDA_NOT_FOUND: e(404, 'Lambda function not found'),
  ACCOUNT_NOT_FOUND: e(404, 'Account not found'),
  // A method the path does not take; `Allow` lists the ones it does
  METHOD_NOT_ALLOWED: e(405, 'Method not allowed'),
  REQUEST_TIMEOUT: e(408, 'Request timeout'),
  // An `Expect` other than `100-continue`: the server cannot meet it
  EXPECTATION_FAILED: e(417, 'Expectation failed'),
  // 409: the current state refuses it
  USER_EXISTS: e(409, 'User exists'),
  USER_SELF_DISABLE: e(409, 'Cannot disable yourself'),
  CREDENTIAL_EXISTS: e(409, 'Credential exists'),
  IDEMPOTENCY_CONFLICT: e(409, 'Idempotency key conflict'),
  ORDER_NOT_OPEN: e(409, 'Order not open'),
  STRATEGY_NOT_RUNNING: e(409, 'Strategy not running'),
  BACKTEST_NOT_DONE: e(409, 'Backtest not done'),
  LAMBDA_CONFLICT: e(409, 'Lambda function changed concurrently'),
  LAMBDA_STRATEGY_MISMATCH: e(409, 'Function is not a deploy of this strategy'),
  ACCOUNT_NAME_TAKEN: e(409, 'Account name taken'),
  ACCOUNT_DISABLED: e(409, 'Account closed'),
  ACCOUNT_HAS_OPEN_ORDERS: e(409, 'Account has open orders'),
  ACCOUNT_NOT_FLAT: e(409, 'Account holds a position'),
  ACCOUNT_IN_USE: e(409, 'Account runs a strategy'),
  ACCOUNT_CREDENTIAL_REFUSED: e(409, 'Venue refused the account key'),
  BODY_TOO_LARGE: e(413, 'Body too large'),
  URL_TOO_LONG: e(414, 'URL too long'),
  UNSUPPORTED_MEDIA_TYPE: e(415, 'Unsupported media type'),
  // 422: `POST /orders` denied at the gate (the order reason code: `docs/errors.md`)
  UNKNOWN_INSTRUMENT: e(422, 'Unknown instrument'),
  // The key already made another order: a retry must repeat the request it made
  IDEMPOTENCY_KEY_REUSED: e(422, 'Idempotency key used for another order'),
  VENUE_NOT_CONFIGURED: e(422, 'Venue not on this server'),
  // A catalog strategy that hears trades, on a server that feeds its strategies bars
  STRATEGY_NEEDS_TRADES: e(422, 'Strategy needs trades'),
  CREDENTIAL_WRONG_VENUE: e(422, 'Credential for another venue'),
  CREDENTIAL_REFUSED: e(422, 'Venue refused the key'),
  QUANTITY_ROUNDS_TO_ZERO: denied,
  QUANTITY_BELOW_MIN: denied,
  NOTIONAL_BELOW_MIN: denied,
  QUANTITY_INVALID: denied,
  PRICE_INVALID: denied,
  INVALID_ORDER_OPTIONS: denied,
  INSUFFICIENT_BALANCE: denied,
  INSUFFICIENT_POSITION: denied,
  NO_REFERENCE_PRICE: denied,
  REDUCE_ONLY_WOULD_INCREASE: denied,
  PRICE_OUTSIDE_COLLAR: denied,
  PRICE_OUTSIDE_WINDOW_COLLAR: denied,
  REPEATED_EXECUTION_THROTTLE: denied,
  ORDER_VALUE_LIMIT: denied,
  ORDER_QUANTITY_LIMIT: denied,
  POSITION_LIMIT: denied,
  OPEN_ORDERS_LIMIT: denied,
  MESSAGE_THROTTLE: denied,
  DUPLICATE_ORDER: denied,
  DAILY_LOSS_LIMIT: denied,
  TRADING_HALTED: denied,
  CLIENT_ORDER_ID_INVALID: denied,
  TRADING_REDUCING: denied,
  MFA_LOCKED: e(429, 'Too many second-factor failures'),
  RATE_LIMITED: e(429, 'Too many requests'),
  WS_CONNECTION_LIMIT: e(429, 'Too many WebSocket connections'),
  // A live account's new orders past its venue's order rate (Binance: 50 per 10 s): not stored,
  // not sent; `Retry-After` says when a slot frees
  VENUE_ORDER_RATE: e(429, 'Venue order rate reached'),
  // `GET /ws` as a plain HTTP request (no WebSocket upgrade)
  UPGRADE_REQUIRED: e(426, 'WebSocket upgrade required'),
  HEADERS_TOO_LARGE: e(431, 'Request headers too large'),
  INTERNAL: e(500, 'Internal error'),
  AUDIT_CHAIN_BROKEN: e(500, 'Audit chain broken'),
  AUDIT_WRITE_FAILED: e(500, 'Audit log not written'),
  OBJECT_LOCK_MISSING: e(500, 'Export bucket has no Object Lock'),
  LAMBDA_ROLE_REQUIRED: e(500, 'No IAM role for new Lambda functions'),
  // 502/503: the object store (`S3_BUCKET`) refused or could not be reached
  OBJECT_STORE_BUCKET_MISSING: e(502, 'Bucket missing'),
  OBJECT_STORE_DENIED: e(502, 'Object store denied access'),
  OBJECT_STORE_WRONG_REGION: e(502, 'Bucket in another region'),
  OBJECT_STORE_FAILED: e(502, 'Object store failed'),
  // 502/503: KMS (`KMS_KEY_ID`) refused or could not be reached (field encryption)
  KMS_KEY_NOT_FOUND: e(502, 'KMS key not found'),
  KMS_KEY_DISABLED: e(502, 'KMS key disabled'),
  KMS_KEY_UNSUITABLE: e(502, 'KMS key unsuitable'),
  KMS_DENIED: e(502, 'KMS denied access'),
  KMS_WRONG_REGION: e(502, 'KMS in another region'),
  KMS_FAILED: e(502, 'KMS failed'),
  KMS_THROTTLED: e(503, 'KMS throttled'),
  KMS_UNREACHABLE: e(503, 'KMS unreachable'),
  // 502/503: Lambda (`AWS_ENDPOINT_URL_LAMBDA`, AWS) refused or could not be reached
  LAMBDA_DENIED: e(502, 'Lambda denied the server'),
  LAMBDA_WRONG_REGION: e(502, 'Lambda in another region'),
  LAMBDA_PAYLOAD_TOO_LARGE: e(502, 'Lambda refused the size'),
  LAMBDA_REQUEST: e(502, 'Lambda refused the call'),
  BACKTEST_QUEUE_FULL: e(503, 'Backtest queue full'),
  NOT_READY: e(503, 'Not ready'), // a readiness check failed (`GET /health/ready`)
  OBJECT_STORE_UNREACHABLE: e(503, 'Object store unreachable'),
  // 503: a store the request needs does not answer; nothing was changed (fail closed)
  STORE_UNAVAILABLE: e(503, 'Database unavailable'),
  CACHE_UNAVAILABLE: e(503, 'Cache unavailable'),
  LAMBDA_THROTTLED: e(503, 'Lambda throttled'),
  LAMBDA_UNREACHABLE: e(503, 'Lambda unreachable'),
  // 503: no instance owning the account answered (a failover in progress), this one is
  // stopping, or lost the account's lease meanwhile; nothing was stored (retry: `Retry-After`)
  ACCOUNT_OWNER_UNAVAILABLE: e(503, 'Account owner unavailable'),
  SERVER_DRAINING: e(503, 'Server draining'),
  LEASE_LOST: e(503, 'Account lease lost'),
  // 503: a live account's venue does not answer, bans or throttles; nothing was sent
  ACCOUNT_VENUE_DOWN: e(503, 'Account venue down'),
  VENUE_UNAVAILABLE: e(503, 'Venue unavailable'),
  VENUE_RATE_LIMITED: e(503, 'Venue rate limit'),
  VENUE_BANNED: e(503, 'Venue ban'),
} as const satisfies Readonly<Record<string, ApiErrorEntry>>;

/** A code of the catalogue. */
export type ApiErrorCode = keyof typeof API_ERRORS;

/** Status of a code the catalogue does not list (a `KairosError` from deeper down). */
const OTHER: ApiErrorEntry = { status: 400, title: 'Bad request' };

/** The catalogue entry of `code` (400 and a generic title for a code it does not list). */
export function apiErrorOf(code: string): ApiErrorEntry {
  return Object.hasOwn(API_ERRORS, code) ? API_ERRORS[code as ApiErrorCode] : OTHER;
}

/**
 * Whether a refusal with `code` passes by itself, so retrying later may succeed: the catalogue's
 * 503 codes (no owner answered, the venue down, Redis or the database away…). Any other stands
 * until someone changes something (a key the venue refused, a role, an account not seen): a
 * retry would meet it again. The one classification the WebSocket's retries follow
 * (`ws-subscribe-attempts.ts`; `docs/errors.md`, "Transient and permanent").
 *
 * @example
 * isTransient('ACCOUNT_OWNER_UNAVAILABLE'); // true
 * isTransient('ACCOUNT_CREDENTIAL_REFUSED'); // false
 */
export function isTransient(code: string): boolean {
  return apiErrorOf(code).status === 503;
}

/** Each HTTP status the API answers errors with, ascending, and its codes in catalogue order. */
export function codesByStatus(): ReadonlyMap<number, readonly ApiErrorCode[]> {
  const by = new Map<number, ApiErrorCode[]>();
  for (const [code, { status }] of Object.entries(API_ERRORS) as [ApiErrorCode, ApiErrorEntry][]) {
    by.set(status, [...(by.get(status) ?? []), code]);
  }
  return new Map([...by].sort(([a], [b]) => a - b));
}

/**
 * The HTTP status table of `docs/errors.md` (Markdown), generated from the catalogue.
 *
 * @example
 * statusTable().split('\n')[2]; // '| 400 | `VALIDATION`, `BAD_URL`, … |'
 */
export function statusTable(): string {
  const rows = [...codesByStatus()].map(
    ([status, codes]) => `| ${status} | ${codes.map((c) => `\`${c}\``).join(', ')} |`,
  );
  return ['| status | codes |', '|---|---|', ...rows].join('\n');
}
