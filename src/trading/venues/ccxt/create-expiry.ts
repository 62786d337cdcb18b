import type { Exchange } from 'ccxt';

/**
 * Venues whose ccxt class sends `options.recvWindow` with every signed request and that refuse a
 * request older than it when it arrives (Binance: the `recvWindow` param, -1021; Bybit: the
 * `X-BAPI-RECV-WINDOW` header, 10002). `ClockSkew` widens it with the measured offset.
 */
const RECV_WINDOW = new Set(['binance', 'binanceus', 'bybit', 'bybiteu', 'bybitid']);

/**
 * Venues that take a request deadline on place orders, which ccxt does not send (OKX API v5,
 * "Transaction Timeouts": the `expTime` header, Unix ms; a request the server would process
 * after it is refused, code 50036).
 */
const EXP_TIME = new Set(['okx', 'okxus', 'myokx']);
const EXP_TIME_PATHS = new Set([
  'trade/order',
  'trade/batch-orders',
  'trade/amend-order',
  'trade/amend-batch-orders',
]);

/** Exchanges whose place requests carry `expTime`: their window, ms. */
const stamped = new WeakMap<Exchange, () => number>();

type Sign = (
  path: string,
  api?: unknown,
  method?: string,
  params?: unknown,
  headers?: unknown,
  body?: unknown,
) => { url: string; method: string; body?: unknown; headers?: Record<string, string> };

/**
 * Makes a venue refuse a create it would take later than `windowMs` after it was sent, where
 * the venue can be told so and ccxt does not (OKX: every place and amend request is stamped
 * with `expTime`, in venue time: ccxt's `nonce()`, which `ClockSkew` keeps in step). The window
 * defaults to the request timeout: a create the client gave up on cannot be taken afterwards.
 * A no-op for other venues (Binance's and Bybit's `recvWindow` is ccxt's own).
 *
 * @example
 * installCreateExpiry(exchange); // okx: POST trade/batch-orders carries `expTime: now + timeout`
 */
export function installCreateExpiry(exchange: Exchange, windowMs?: number): void {
  if (!EXP_TIME.has(exchange.id) || stamped.has(exchange)) return;
  const window = () => windowMs ?? exchange.timeout;
  const ex = exchange as unknown as { sign: Sign; nonce(): number };
  const sign = ex.sign.bind(exchange);
  ex.sign = (path, api, method, params, headers, body) => {
    const request = sign(path, api, method, params, headers, body);
    if (api === 'private' && method === 'POST' && EXP_TIME_PATHS.has(path))
      request.headers = { ...request.headers, expTime: String(ex.nonce() + window()) };
    return request;
  };
  stamped.set(exchange, window);
}

/**
 * How long after it is sent a create can still be taken by the venue, ms (its clock), where the
 * venue bounds it: OKX's `expTime` window (`installCreateExpiry`), Binance's and Bybit's
 * `recvWindow`; undefined for a venue that takes a request whenever it arrives
 * (`docs/decisions/create-expiry.md`).
 *
 * @example
 * createTakeWindowMs(binance); // 10_000 (ccxt's recvWindow, as ClockSkew set it)
 */
export function createTakeWindowMs(exchange: Exchange): number | undefined {
  const window = stamped.get(exchange);
  if (window) return window();
  if (!RECV_WINDOW.has(exchange.id)) return undefined;
  const rw = (exchange.options as Record<string, unknown> | undefined)?.recvWindow;
  return typeof rw === 'number' && Number.isFinite(rw) && rw > 0 ? rw : undefined;
}

/**
 * How far our estimate of the venue's clock (ccxt's `timeDifference`, from `ClockSkew`) may be
 * off: a deadline the venue applies on its clock is waited for this much longer on ours.
 */
export const CLOCK_MARGIN_MS = 1_000;

/**
 * The latest moment, on our clock, a venue may take a create whose call ended at `ended` with
 * no answer: sent before `ended`, it is refused `windowMs` after it was sent (the window at the
 * send, or later if widened since: the larger of the two), give or take `CLOCK_MARGIN_MS`;
 * with no window, `unboundedMs` after `ended` (a rule, not a bound: see
 * `docs/decisions/create-expiry.md`).
 *
 * @example
 * lastTakeAt(ended, createTakeWindowMs(exchange), 60_000); // okx: ended + timeout + 1 s
 */
export function lastTakeAt(
  ended: number,
  windowMs: number | undefined,
  unboundedMs: number,
): number {
  return windowMs === undefined ? ended + unboundedMs : ended + windowMs + CLOCK_MARGIN_MS;
}
