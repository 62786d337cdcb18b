import type ccxtDefault from 'ccxt';
import type { Exchange } from 'ccxt';
import { KairosError } from '../../core/errors.js';
import type { Alert } from '../../model/alert.js';
import type { RequestBudget } from '../../../scalability/rate-limit/request-budget.js';
import { installCreateExpiry } from './create-expiry.js';
import { venueBudgetScope } from './budget-scope.js';
import { installRequestGate, type AdvertisedLimit, type RequestGate } from './request-gate.js';
import { CCXT_EXCHANGE_IDS } from './exchange-ids.js';
import { importExchangeClass, type ExchangeClass } from './exchange-modules.js';

/** ccxt's cost units per unit of the venue's request weight (Binance spot: cost = 0.2 × weight). */
const WEIGHT_PER_COST: Readonly<Record<string, number>> = { binance: 5 };

/**
 * Venues that document a request limit per endpoint over a fixed window (OKX: so many requests
 * per 2 s for each endpoint, refused with a 429, code 50011, that does not say how long): such a
 * limit pauses that endpoint only, first for the window (a full window surely ends within it),
 * doubled if the limit is met again.
 */
const ENDPOINT_LIMIT_WINDOW_MS: Readonly<Record<string, number>> = {
  okx: 2_000,
  okxus: 2_000,
  myokx: 2_000,
};

/** How to build one ccxt exchange. */
export interface ExchangeConfig {
  /** A ccxt exchange id: `binance`, `kraken`, ... (`ccxt.exchanges`). */
  readonly exchangeId: string;
  readonly apiKey?: string;
  readonly secret?: string;
  /** Some venues need a third credential (OKX, KuCoin passphrase). */
  readonly password?: string;
  /**
   * Another base URL for every REST and WebSocket endpoint, e.g. `http://127.0.0.1:9444` (a
   * simulator, a sandbox, a proxy). Paths are kept; WebSocket URLs get `ws(s)://` of the same host.
   */
  readonly exchangeUrl?: string;
  /**
   * The venue's own sandbox or testnet URLs (ccxt's `setSandboxMode`; `EXCHANGE_SANDBOX`), before
   * any `exchangeUrl` rewrite; `CONFIG_INVALID` for a venue ccxt knows no sandbox of.
   */
  readonly sandbox?: boolean;
  /** The WebSocket base when it differs from `exchangeUrl` (default: derived from it). */
  readonly wsUrl?: string;
  /** The ccxt.pro class (WebSocket `watch*` methods) instead of the REST one. */
  readonly pro?: boolean;
  /** ccxt request timeout, ms (default 10 000). */
  readonly timeoutMs?: number;
  /**
   * OKX: a place request not processed this long after it was sent is refused by the venue
   * (the `expTime` header; default: the request timeout). See `create-expiry.ts`.
   */
  readonly createExpiryMs?: number;
  /** ccxt's own spacing of requests, ms per unit of cost (default: the exchange's). */
  readonly rateLimitMs?: number;
  /** ccxt's own request throttle (default on; leave it on against a real venue). */
  readonly enableRateLimit?: boolean;
  /** Extra ccxt `options`, merged over the defaults below. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** The shared request budget and ban record (see `request-gate.ts`); none: no gate. */
  readonly budget?: {
    readonly budget: RequestBudget;
    /**
     * Budget key to take weight from (default: the venue's IP-wide scope, `venueBudgetScope`: the
     * exchange id, or `<id>:sandbox` with `sandbox`).
     */
    readonly key?: string;
    readonly now?: () => number;
    readonly onAlert?: (alert: Alert) => void;
    /** Longest wait for budget before a call is refused (default 10 000 ms). */
    readonly maxWaitMs?: number;
    /** The largest weight one request may take (the budget's capacity). */
    readonly maxWeight?: () => number;
    /** Told the request limits the venue advertises (`exchangeInfo.rateLimits`). */
    readonly onRateLimits?: (limits: readonly AdvertisedLimit[]) => void;
  };
}

/** A built exchange, with its request gate when a budget was given. */
export interface BuiltExchange {
  readonly exchange: Exchange;
  readonly gate: RequestGate | null;
}

/**
 * Options that keep each venue to its spot API. Binance's `loadMarkets` otherwise also calls the
 * futures, margin and wallet endpoints (and needs permissions Kairos does not use); OKX's lists
 * its futures, swaps and options too (four more requests, thousands of markets).
 */
const OKX_SPOT = { fetchMarkets: { types: ['spot'] } };
const SPOT_OPTIONS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  binance: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
  okx: OKX_SPOT,
  okxus: OKX_SPOT,
  myokx: OKX_SPOT,
};

/**
 * Options that let Kairos look an order up (by client id after a lost answer or a restart):
 * ccxt's Bybit `fetchOrder` refuses to run unless told the venue shows only the last 500 orders.
 */
const BYBIT_LOOKUP = { fetchOrder: { acknowledged: true } };
const LOOKUP_OPTIONS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  bybit: BYBIT_LOOKUP,
  bybiteu: BYBIT_LOOKUP,
  bybitid: BYBIT_LOOKUP,
};

/** Replaces scheme and host of every URL in ccxt's `urls.api` tree, keeping paths. */
function rewrite(tree: unknown, rest: string, ws: string): unknown {
  if (typeof tree === 'string')
    return tree.replace(/^https?:\/\/[^/]+/, rest).replace(/^wss?:\/\/[^/]+/, ws);
  if (Array.isArray(tree)) return tree.map((v) => rewrite(v, rest, ws));
  if (tree !== null && typeof tree === 'object')
    return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, rewrite(v, rest, ws)]));
  return tree;
}

function baseUrl(flag: string, value: string, schemes: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KairosError('CONFIG_INVALID', `${flag}: must be a URL, was ${JSON.stringify(value)}`);
  }
  if (!schemes.includes(url.protocol))
    throw new KairosError(
      'CONFIG_INVALID',
      `${flag}: must start with ${schemes.map((s) => `${s}//`).join(' or ')}, was ${JSON.stringify(value)}`,
    );
  return value.replace(/\/+$/, '');
}

type Ccxt = typeof ccxtDefault;
let ccxtModule: Promise<Ccxt> | undefined;

/**
 * All of ccxt, loaded on first use: its hundreds of modules cost about a second of CPU, which a
 * process (or a test file) that never builds a venue does not pay. Only for an id without a module
 * of its own (`exchangeClass`).
 */
function loadCcxt(): Promise<Ccxt> {
  ccxtModule ??= import('ccxt').then((m) => m.default);
  return ccxtModule;
}

/**
 * Whether `id` is a ccxt exchange id (`binance`, `kraken`, ...; `ccxt.exchanges`), answered from
 * the list in `exchange-ids.ts` without loading ccxt.
 */
export async function isExchangeId(id: string): Promise<boolean> {
  return Promise.resolve(CCXT_EXCHANGE_IDS.has(id));
}

/**
 * Builds a ccxt exchange by id (the one place Kairos constructs ccxt classes). ccxt's request
 * throttle stays on and its own retries stay off (`maxRetriesOnFailure: 0`): an order write
 * that timed out may have reached the venue, so it is never resent (reads are retried by the
 * venue policy instead). With `exchangeUrl`, every REST and WebSocket URL points at that host.
 * With `budget`, every request first takes weight from the shared budget and every 429/418
 * answer is recorded as a ban there (`request-gate.ts`).
 *
 * @example
 * const { exchange } = await createExchange({ exchangeId: 'binance', pro: true,
 *   apiKey, secret, exchangeUrl: 'http://127.0.0.1:9444' });
 */
export async function createExchange(config: ExchangeConfig): Promise<BuiltExchange> {
  const id = config.exchangeId;
  const Cls = await exchangeClass(id, config.pro === true);
  const exchange = new Cls({
    apiKey: config.apiKey,
    secret: config.secret,
    password: config.password,
    enableRateLimit: config.enableRateLimit ?? true,
    timeout: config.timeoutMs ?? 10_000,
    ...(config.rateLimitMs !== undefined ? { rateLimit: config.rateLimitMs } : {}),
    options: {
      maxRetriesOnFailure: 0,
      ...SPOT_OPTIONS[id],
      ...LOOKUP_OPTIONS[id],
      ...config.options,
    },
  });
  if (config.sandbox) {
    // ccxt lists `test` on every class, undefined where the venue has no sandbox.
    const test = (exchange.urls as Record<string, unknown>).test;
    if (test === undefined || test === null)
      throw new KairosError(
        'CONFIG_INVALID',
        `EXCHANGE_SANDBOX: ccxt knows no sandbox of ${id}; unset it, or point EXCHANGE_URL at the sandbox`,
      );
    exchange.setSandboxMode(true);
  }
  installCreateExpiry(exchange, config.createExpiryMs);
  if (config.pro) {
    // Reconnect backoff is Kairos's (`WatchLoop`, cockatiel); ccxt's own would add up to a minute.
    const opts = exchange.options as Record<string, unknown>;
    const ws = (opts.ws ?? {}) as Record<string, unknown>;
    opts.ws = { ...ws, backoff: { ...(ws.backoff as object | undefined), base: 0 } };
    quietFutures(exchange);
  }
  if (config.exchangeUrl !== undefined) {
    const rest = baseUrl('--exchange-url', config.exchangeUrl, ['http:', 'https:']);
    const ws =
      config.wsUrl !== undefined
        ? baseUrl('--ws-url', config.wsUrl, ['ws:', 'wss:'])
        : rest.replace(/^http/, 'ws');
    exchange.urls.api = rewrite(exchange.urls.api, rest, ws) as typeof exchange.urls.api;
    // ccxt refuses plain ws:// URLs unless an http agent is loaded.
    if (config.pro && ws.startsWith('ws:')) await exchange.loadHttpProxyAgent();
  }
  const b = config.budget;
  const gate = b
    ? installRequestGate(exchange, {
        budget: b.budget,
        // The sandbox is another host with its own limits: its own budget and bans.
        venue: venueBudgetScope(id, config.sandbox),
        key: b.key,
        now: b.now,
        onAlert: b.onAlert,
        maxWaitMs: b.maxWaitMs,
        weightPerCost: WEIGHT_PER_COST[id] ?? 1,
        maxWeight: b.maxWeight,
        onRateLimits: b.onRateLimits,
        perEndpoint: ENDPOINT_LIMIT_WINDOW_MS[id] !== undefined,
        backoff: { initialMs: ENDPOINT_LIMIT_WINDOW_MS[id] },
      })
    : null;
  return { exchange, gate };
}

/**
 * ccxt's class `id` (`ccxt.pro[id]` with `pro`): from its own module (`exchange-modules.ts`), so a
 * process loads the exchanges it uses and not ccxt's hundred others; else from all of ccxt, which
 * then tells an unknown id (`VENUE_UNKNOWN`) or a venue with no WebSocket class
 * (`VENUE_UNSUPPORTED`).
 */
async function exchangeClass(id: string, pro: boolean): Promise<ExchangeClass> {
  const own = await importExchangeClass(id, pro);
  if (own) return own;
  const ccxt = await loadCcxt();
  if (!(ccxt.exchanges as readonly string[]).includes(id))
    throw new KairosError(
      'VENUE_UNKNOWN',
      `exchange ${JSON.stringify(id)}: not a ccxt exchange id (e.g. binance, kraken, okx; see ccxt.exchanges)`,
    );
  const classes = (pro ? ccxt.pro : ccxt) as unknown as Record<string, ExchangeClass>;
  const Cls = classes[id];
  if (typeof Cls !== 'function')
    throw new KairosError(
      'VENUE_UNSUPPORTED',
      `exchange ${id}: ccxt has no WebSocket (pro) class for it; use REST polling`,
    );
  return Cls;
}

type WsClient = { future(hash: string): Promise<unknown> };

/**
 * ccxt.pro creates some futures that nobody awaits (binance's user-data subscription makes one
 * ahead of its request and rejects it when the connection fails), so a venue that is down would
 * crash the process with an unhandled rejection. Every future gets a no-op handler; the callers
 * that await one still get its rejection.
 */
function quietFutures(exchange: Exchange): void {
  const ex = exchange as unknown as { client(url: string): WsClient };
  const client = ex.client.bind(exchange);
  const patched = new WeakSet<WsClient>();
  ex.client = (url) => {
    const c = client(url);
    if (!patched.has(c)) {
      patched.add(c);
      const future = c.future.bind(c);
      c.future = (hash) => {
        const f = future(hash);
        f.catch(() => undefined);
        return f;
      };
    }
    return c;
  };
}
