import fc from 'fast-check';
import { clientOrderIdFor } from '../../../../../src/api/order-commands.js';
import { ClientOrderIds } from '../../../../../src/trading/core/client-order-id.js';
import { CcxtExecutionClient } from '../../../../../src/trading/venues/ccxt/ccxt-execution.js';
import { createExchange } from '../../../../../src/trading/venues/ccxt/exchange-factory.js';
import {
  CLIENT_ID_RULES,
  venueClientIds,
} from '../../../../../src/trading/venues/ccxt/venue-client-ids.js';
import { submittedOrder } from '../../../../support/builders.js';
import { spotMarket } from '../../../../support/ccxt-spot-market.js';
import { ORDER_STATUS } from '../../../../support/venue-order-status.js';
import { btcInstrument } from '../../../../support/paper-args.js';

/**
 * What ccxt's real exchange classes put on the wire for `createOrder` with Kairos's params: the
 * request is caught before it leaves (`fetch` replaced), and the venue's own field is checked
 * against the venue's documented rule (docs/venues-client-order-ids.md). This catches a param
 * ccxt drops or renames, a prefix ccxt adds, and a value ccxt refuses before sending.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const digits = (max: bigint) => (v: unknown) =>
  (typeof v === 'number' || typeof v === 'string') &&
  /^[1-9][0-9]*$/.test(String(v)) &&
  BigInt(String(v)) <= max;
const text = (re: RegExp) => (v: unknown) => typeof v === 'string' && re.test(v);
const SAFE_SUBSET = text(/^[A-Za-z0-9]{1,32}$/);

interface Case {
  /** The venue's field for the client order id in its order request. */
  readonly field: string;
  readonly rule: (v: unknown) => boolean;
  readonly options?: Record<string, unknown>;
  readonly market?: Record<string, unknown>;
  readonly apiKey?: string;
}

const CASES: Record<string, Case> = {
  binance: { field: 'newClientOrderId', rule: text(/^[.A-Z:/a-z0-9_-]{1,36}$/) },
  bybit: {
    field: 'orderLinkId',
    rule: text(/^[A-Za-z0-9_-]{1,36}$/),
    options: { enableUnifiedMargin: false, enableUnifiedAccount: true },
  },
  kucoin: { field: 'clientOid', rule: text(/^[A-Za-z0-9_-]{1,40}$/), options: { uta: false } },
  krakenfutures: { field: 'cliOrdId', rule: text(/^.{1,100}$/) },
  cryptocom: { field: 'client_oid', rule: text(/^.{1,36}$/) },
  deribit: { field: 'label', rule: text(/^.{1,64}$/) },
  okx: { field: 'clOrdId', rule: text(/^[A-Za-z0-9]{1,32}$/) },
  bingx: { field: 'newClientOrderId', rule: text(/^[a-z0-9_-]{1,40}$/) },
  hitbtc: { field: 'client_order_id', rule: text(/^[A-Za-z0-9_-]{1,32}$/) },
  kraken: {
    field: 'cl_ord_id',
    rule: (v) =>
      typeof v === 'string' &&
      (/^[\x20-\x7e]{1,18}$/.test(v) || /^[0-9a-f]{32}$/i.test(v) || UUID.test(v)),
  },
  gate: { field: 'text', rule: text(/^t-[0-9A-Za-z_.-]{1,28}$/) },
  coinbase: { field: 'client_order_id', rule: text(/^[A-Za-z0-9-]{1,41}$/) },
  coinbaseexchange: { field: 'client_oid', rule: text(UUID) },
  hyperliquid: {
    field: 'c',
    rule: text(/^0x[0-9a-f]{32}$/),
    options: { builderFee: false },
    market: { baseId: 0 },
  },
  bitfinex: {
    field: 'cid',
    rule: (v) => typeof v === 'number' && digits(2n ** 45n - 1n)(v),
    market: { id: 'tBTCUSD', precision: { amount: 8, price: 5 } },
  },
  htx: { field: 'client-order-id', rule: digits(2n ** 63n - 1n) },
  woo: { field: 'clientOrderId', rule: digits(2n ** 63n - 1n) },
  backpack: { field: 'clientId', rule: (v) => typeof v === 'number' && digits(2n ** 32n - 1n)(v) },
  // Venues not in the table: the default, 1-32 letters and digits, reaches their field.
  bitget: { field: 'clientOid', rule: SAFE_SUBSET },
  mexc: { field: 'newClientOrderId', rule: SAFE_SUBSET },
  phemex: { field: 'clOrdID', rule: SAFE_SUBSET },
  // Kairos's id as it is, in the venue's field (Bitstamp: any unique string; Gemini: under 100).
  bitstamp: { field: 'client_order_id', rule: text(/^[A-Za-z0-9_-]{1,36}$/) },
  gemini: { field: 'client_order_id', rule: text(/^[A-Za-z0-9_-]{1,99}$/), apiKey: 'account-key' },
};

/** The first value under `key` anywhere in a request (query string, form or JSON body). */
function find(value: unknown, key: string): unknown {
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = find(v, key);
      if (found !== undefined) return found;
    }
  } else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (key in o) return o[key];
    return find(Object.values(o), key);
  }
  return undefined;
}

function parse(url: string, body: unknown): unknown[] {
  const out: unknown[] = [Object.fromEntries(new URL(url).searchParams)];
  if (typeof body === 'string' && body.length > 0) {
    try {
      out.push(JSON.parse(body));
    } catch {
      out.push(Object.fromEntries(new URLSearchParams(body)));
    }
  }
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let ccxt: any;
beforeAll(async () => {
  ccxt = (await import('ccxt')).default;
});

/**
 * Readies a ccxt exchange to be called without a venue: one spot market, one account, and every
 * request handed to `seen` and then failed before it leaves.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function catching(ex: any, c: Case, seen: (url: string, body: unknown) => void): void {
  ex.accounts = [{ id: '1', type: 'spot', code: undefined, info: {} }];
  ex.fetch = async (url: string, _method: string, _headers: unknown, body: unknown) => {
    seen(url, body);
    throw new ccxt.NetworkError('caught before sending');
  };
  ex.setMarkets([spotMarket({ info: { orderTypes: ['LIMIT', 'MARKET'] }, ...c.market })]);
}

/**
 * One exchange of ccxt's `venue` class a venue, its requests handed to the call under way:
 * building one (ccxt's API tables) was most of a call's CPU, and a running venue client
 * places every order through one exchange too.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const exchanges = new Map<string, { ex: any; seen: (url: string, body: unknown) => void }>();
function exchangeOf(venue: string) {
  let e = exchanges.get(venue);
  if (!e) {
    const c = CASES[venue]!;
    const ex = new ccxt[venue]({
      apiKey: c.apiKey ?? 'key',
      secret: Buffer.alloc(32, 7).toString('base64'), // Backpack's ed25519 key: 32 bytes
      password: 'pw',
      uid: '1',
      walletAddress: `0x${'1'.repeat(40)}`,
      privateKey: `0x${'2'.repeat(64)}`,
      options: c.options ?? {},
      // No request leaves: ccxt's own spacing between them would only be waited out.
      enableRateLimit: false,
    });
    const made = { ex, seen: (_url: string, _body: unknown): void => undefined };
    catching(ex, c, (url, body) => made.seen(url, body));
    exchanges.set(venue, (e = made));
  }
  return e;
}

/**
 * What ccxt's `venue` class sends as the client order id for Kairos's `id`, and the Kairos id
 * that value reads back to (ccxt sending an id of its own instead would not).
 */
async function onTheWire(venue: string, id: string): Promise<{ sent: unknown; back: unknown }> {
  const c = CASES[venue]!;
  const e = exchangeOf(venue);
  const requests: unknown[] = [];
  e.seen = (url, body) => requests.push(...parse(url, body));
  const cids = venueClientIds(venue);
  const params = cids.createParams(id);
  await expect(e.ex.createOrder('BTC/USDT', 'limit', 'buy', 1, 100, params)).rejects.toThrow(
    'caught before sending',
  );
  const sent = requests.map((r) => find(r, c.field)).find((v) => v !== undefined);
  return { sent, back: sent === undefined ? undefined : cids.fromVenue(String(sent)) };
}

const ids = fc.oneof(
  fc
    .tuple(fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: 1e12 - 2 }))
    .map(([s, start]) => new ClientOrderIds(s, start).next()),
  fc.tuple(fc.string(), fc.string()).map(([u, k]) => clientOrderIdFor(u, k, 'acc-1')),
);

describe("the client order id ccxt's real classes send", () => {
  it('covers every venue of the table', () => {
    for (const r of CLIENT_ID_RULES) expect(r.venues.some((v) => v in CASES)).toBe(true);
  });

  it.each(Object.keys(CASES))('%s: the venue field follows the documented rule', async (venue) => {
    const fixed = [
      'sma_cross-12',
      'X_very-long_strategy_Na-999999999999',
      clientOrderIdFor('user', 'key-1', 'acc-1'),
    ];
    for (const id of fixed) {
      const { sent, back } = await onTheWire(venue, id);
      expect({ sent, ok: CASES[venue]!.rule(sent), back }).toEqual({ sent, ok: true, back: id });
    }
    // Hyperliquid too: it signs each order (EIP-712), ~60 ms here; the ~1 s an order that kept
    // it to its fixed ids was ccxt's rate limiter waiting (off now: no request leaves).
    await fc.assert(
      fc.asyncProperty(ids, async (id) => {
        const { sent, back } = await onTheWire(venue, id);
        expect(CASES[venue]!.rule(sent)).toBe(true);
        expect(back).toBe(id);
      }),
      { numRuns: 10 },
    );
  });

  /**
   * A look-up by client id (an order whose answer was lost, or after a restart: no venue id),
   * through the exchange as Kairos builds it: the value must travel under the field (or in the
   * path) the venue documents for that call, or the venue ignores it. The fields are ccxt's own
   * (node_modules/ccxt/js/src/<venue>.js, 4.5.84): what its fetchOrder/cancelOrder build for
   * each venue's endpoint, cross-checked with the venues' API docs where known.
   */
  const asking = Object.keys(CASES).filter(
    (v) => v !== 'hyperliquid' && venueClientIds(v).ask('fetchOrder', 'a-1', undefined) !== null,
  );
  /** Where one call carries the client id: a request whose URL has `url` and the id under `key`. */
  interface Where {
    readonly url: string;
    /** The field; none: the id is a segment of the path (`url` then ends where it starts). */
    readonly key?: string;
    /** A field the request must not carry (Gemini: `order_id` beside `client_order_id`). */
    readonly absent?: string;
  }
  /**
   * A cancel where the venue cancels by its own id only: the order is looked up by client id
   * first (the venue's `fetchOrder` row), then the cancel names the venue id it found, here.
   */
  interface ByVenueId {
    readonly byVenueId: Where;
  }
  type Lookup = Readonly<{ fetchOrder: Where; cancelOrder: Where | ByVenueId }>;
  const both = (w: Where): Lookup => ({ fetchOrder: w, cancelOrder: w });
  /** The id under `key` in both calls, each to its own endpoint. */
  const at = (key: string, fetchOrder: string, cancelOrder: string): Lookup => ({
    fetchOrder: { url: fetchOrder, key },
    cancelOrder: { url: cancelOrder, key },
  });
  const LOOKUP: Record<string, Lookup> = {
    // GET/DELETE /api/v3/order: orderId or origClientOrderId.
    binance: both({ url: '/api/v3/order?', key: 'origClientOrderId' }),
    bybit: at('orderLinkId', '/v5/order/realtime?', '/v5/order/cancel'),
    // GET/DELETE /api/v1/order/client-order/{clientOid}.
    kucoin: both({ url: '/api/v1/order/client-order/' }),
    krakenfutures: at('cliOrdId', '/api/v3/orders/status?', '/api/v3/cancelorder?'),
    okx: at('clOrdId', '/api/v5/trade/order?', '/api/v5/trade/cancel-order'),
    // GET/DELETE /spot/orders/{order_id}: order_id may be the `t-…` text (ccxt L5386); the
    // cancel passes it as ccxt's id (ccxt would send `?clientOrderId=` on an empty path).
    gate: both({ url: '/api/v4/spot/orders/' }),
    // GET/DELETE /orders/client:<client_oid>.
    coinbaseexchange: both({ url: '/orders/client:' }),
    htx: {
      fetchOrder: { url: '/v1/order/orders/getClientOrder?', key: 'clientOrderId' },
      cancelOrder: { url: '/v1/order/orders/submitCancelClientOrder', key: 'client-order-id' },
    },
    woo: both({ url: '/v3/trade/order?', key: 'clientOrderId' }),
    bitget: at('clientOid', '/api/v2/spot/trade/orderInfo?', '/api/v2/spot/trade/cancel-order'),
    mexc: both({ url: '/api/v3/order?', key: 'origClientOrderId' }),
    phemex: at('clOrdID', '/spots/orders/by-order-id?', '/spot/orders?'),
    // order_status takes `id` or `client_order_id`; cancel_order takes `id` only.
    bitstamp: {
      fetchOrder: { url: '/api/v2/order_status/', key: 'client_order_id', absent: 'id' },
      cancelOrder: { byVenueId: { url: '/api/v2/cancel_order/', key: 'id' } },
    },
    // /v1/order/status takes `client_order_id` instead of `order_id`, never both;
    // /v1/order/cancel takes `order_id` only.
    gemini: {
      fetchOrder: { url: '/v1/order/status', key: 'client_order_id', absent: 'order_id' },
      cancelOrder: { byVenueId: { url: '/v1/order/cancel', key: 'order_id' } },
    },
  };

  /** `venue`'s exchange as Kairos builds it (`createExchange`), and ccxt's class under it. */
  async function built(venue: string) {
    const c = CASES[venue]!;
    const { exchange } = await createExchange({
      exchangeId: venue,
      apiKey: c.apiKey ?? 'key',
      secret: Buffer.alloc(32, 7).toString('base64'),
      password: 'pw',
      options: c.options ?? {},
      rateLimitMs: 1, // as every test's venue (EXCHANGE_RATE_LIMIT_MS): no request leaves
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { c, exchange, ex: exchange as any };
  }

  /** The client id `call` of `venue`'s exchange sends for Kairos's `id`, and the requests made. */
  async function lookUp(venue: string, call: 'fetchOrder' | 'cancelOrder') {
    const { c, ex } = await built(venue);
    const requests: { url: string; fields: unknown[] }[] = [];
    catching(ex, c, (url, body) =>
      requests.push({ url: decodeURIComponent(url), fields: parse(url, body) }),
    );
    const cids = venueClientIds(venue);
    const id = 'sma_cross-12';
    expect(ex.has[call]).toBe(true);
    const ask = cids.ask(call, id, undefined)!;
    await expect(ex[call](ask.id, 'BTC/USDT', ask.params)).rejects.toThrow('caught before sending');
    return { sent: cids.toVenue(id), requests };
  }

  /** Whether one of `requests` carries `sent` where `w` says (the field's value exactly). */
  function carries(requests: { url: string; fields: unknown[] }[], w: Where, sent: string) {
    return requests.some(({ url, fields }) => {
      const at = url.indexOf(w.url);
      if (at < 0) return false;
      if (w.key === undefined) return url.slice(at + w.url.length).split(/[?/]/)[0] === sent;
      if (w.absent !== undefined && fields.some((f) => find(f, w.absent!) !== undefined))
        return false;
      return fields.some((f) => {
        const v = find(f, w.key!);
        return v !== undefined && String(v) === sent;
      });
    });
  }

  it('documents the look-up of every venue that asks by client id', () => {
    expect([...asking].sort()).toEqual(Object.keys(LOOKUP).sort());
  });

  const rows = asking.flatMap((v) =>
    (['fetchOrder', 'cancelOrder'] as const).map((call) => [v, call] as const),
  );
  const check = async (venue: string, call: 'fetchOrder' | 'cancelOrder') => {
    const w = LOOKUP[venue]![call] as Where;
    const { sent, requests } = await lookUp(venue, call);
    expect({ where: w, sent, found: carries(requests, w, sent) }).toEqual({
      where: w,
      sent,
      found: true,
    });
  };
  const cancelsByVenueId = (v: string) => 'byVenueId' in LOOKUP[v]!.cancelOrder;
  it.each(rows.filter(([v, c]) => c === 'fetchOrder' || !cancelsByVenueId(v)))(
    '%s: %s by client id sends it under the documented field',
    check,
  );

  /** The venue's answer to a look-up of its order `42` carrying the client id `sent`. */
  const STATUS: Record<string, (sent: string) => unknown> = ORDER_STATUS;

  /**
   * A cancel by client id where the venue cancels by its own id only, through the client as a
   * restarted node has it (the order known, its venue id not): the first request looks the order
   * up by client id where the venue documents it, the cancel then names the venue id found, and
   * no request to the cancel endpoint carries the client id (which the venue would ignore).
   */
  it.each(asking.filter(cancelsByVenueId))(
    '%s: cancelOrder by client id finds the venue id by it, then cancels by that',
    async (venue) => {
      const { c, exchange, ex } = await built(venue);
      const lookup = LOOKUP[venue]!;
      const cancel = (lookup.cancelOrder as ByVenueId).byVenueId;
      const id = 'sma_cross-12';
      const sent = venueClientIds(venue).toVenue(id);
      const requests: { url: string; fields: unknown[] }[] = [];
      catching(ex, c, () => undefined);
      ex.fetch = async (url: string, _m: string, _h: unknown, body: unknown) => {
        requests.push({ url: decodeURIComponent(url), fields: parse(url, body) });
        if (url.includes(lookup.fetchOrder.url)) return STATUS[venue]!(sent);
        throw new ccxt.NetworkError('caught before sending');
      };
      const client = new CcxtExecutionClient(
        {
          exchange,
          instruments: [btcInstrument()],
          accountId: 'main',
          now: () => 1_800_000_000_000,
          order: (o) => submittedOrder({ instrumentId: 'BTC/USDT' }, o),
        },
        () => undefined,
      );
      client.cancel(id, 0);
      await client.idle();
      await client.close();
      const toCancel = requests.filter((r) => r.url.includes(cancel.url));
      expect({
        lookedUp: carries(requests.slice(0, 1), lookup.fetchOrder, sent),
        cancelledByVenueId: carries(requests.slice(1, 2), cancel, '42'),
        clientIdAtCancel: toCancel.some((r) => JSON.stringify(r.fields).includes(sent)),
      }).toEqual({ lookedUp: true, cancelledByVenueId: true, clientIdAtCancel: false });
    },
  );
});
