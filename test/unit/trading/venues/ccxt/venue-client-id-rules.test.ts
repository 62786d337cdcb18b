import fc from 'fast-check';
import { clientOrderIdFor } from '../../../../../src/api/order-commands.js';
import { ClientOrderIds } from '../../../../../src/trading/core/client-order-id.js';
import {
  CLIENT_ID_RULES,
  clientIdRule,
  DEFAULT_RULE,
  venueClientIds,
  type OrderCall,
} from '../../../../../src/trading/venues/ccxt/venue-client-ids.js';
import { CCXT_EXCHANGE_IDS } from '../../../../../src/trading/venues/ccxt/exchange-ids.js';
import { binaryString } from '../../../../support/binary-string.js';
import { hot } from '../../../../support/hot-expect.js';

/**
 * Each venue's rule for the client order id it is sent, written from its API documentation (and,
 * where ccxt checks or rewrites the value, from ccxt's source): docs/venues-client-order-ids.md.
 * Not derived from venue-client-ids.ts. The value is what goes in `createOrder`'s params.
 */
type Rule = (sent: unknown) => boolean;
const text =
  (re: RegExp): Rule =>
  (v) =>
    typeof v === 'string' && re.test(v);
const int =
  (min: number, max: number): Rule =>
  (v) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const DOCUMENTED: Record<string, Rule> = {
  // newClientOrderId: ^[\.A-Z\:/a-z0-9_-]{1,36}$
  binance: text(/^[.A-Z:/a-z0-9_-]{1,36}$/),
  // orderLinkId: up to 36 of numbers, letters, `-` and `_`.
  bybit: text(/^[A-Za-z0-9_-]{1,36}$/),
  // clientOid: numbers, letters, `_` and `-`, at most 40.
  kucoin: text(/^[A-Za-z0-9_-]{1,40}$/),
  // cliOrdId: at most 100 characters.
  krakenfutures: text(/^.{1,100}$/),
  // client_oid: at most 36 characters.
  cryptocom: text(/^.{1,36}$/),
  // label: at most 64 characters.
  deribit: text(/^.{1,64}$/),
  // clOrdId: 1-32 case-sensitive letters and digits.
  okx: text(/^[A-Za-z0-9]{1,32}$/),
  // client_order_id: ccxt's example, 32 of letters, digits, `-` and `_`.
  hitbtc: text(/^[A-Za-z0-9_-]{1,32}$/),
  // clientOrderID: 1-40 characters, stored in lower case (so sent in lower case).
  bingx: text(/^[a-z0-9_-]{1,40}$/),
  // cl_ord_id: free text of up to 18 ASCII characters, or a UUID (32 hex, or 8-4-4-4-12).
  kraken: (v) =>
    typeof v === 'string' &&
    (/^[\x20-\x7e]{1,18}$/.test(v) || /^[0-9a-f]{32}$/i.test(v) || UUID.test(v)),
  // text: `t-` then at most 28 bytes of [0-9A-Za-z_.-]; ccxt refuses a text over 28 characters
  // and prefixes `t-` itself to one not starting with `t`.
  gate: (v) => typeof v === 'string' && /^t-[0-9A-Za-z_.-]{1,28}$/.test(v) && v.length <= 28,
  // client_order_id: ccxt's own (`ccxt-` and a UUID, 41 of letters, digits and `-`) is taken.
  coinbase: text(/^[A-Za-z0-9-]{1,41}$/),
  // client_oid: a UUID.
  coinbaseexchange: text(UUID),
  // cloid: a 128-bit hex string, `0x` and 32 hex digits.
  hyperliquid: text(/^0x[0-9a-f]{32}$/),
  // cid: int45.
  bitfinex: int(1, 2 ** 45 - 1),
  // client_order_id (contracts): [1, 9223372036854775807], read by ccxt as a JS number.
  htx: int(1, Number.MAX_SAFE_INTEGER),
  // client order id: a number in [0, 9223372036854775807].
  woo: int(0, Number.MAX_SAFE_INTEGER),
  // clientId: uint32 (Backpack's API; ccxt: "the exchange requires uint").
  backpack: int(0, 2 ** 32 - 1),
  // clientId: uint32 (dYdX v4; ccxt: "2**32 - 1 is 10 digits").
  dydx: int(0, 2 ** 32 - 1),
  // client_order_index: ccxt keeps it to an int32 ("c# only support int32 2147483647").
  lighter: int(0, 2 ** 31 - 1),
  // ClientOrderId: a long, read by ccxt as a JS number.
  ndax: int(0, Number.MAX_SAFE_INTEGER),
  // client_order_id: "a unique string", used once; no length or characters documented.
  bitstamp: (v) => typeof v === 'string' && v.length >= 1,
  // client_order_id: a string under 100 characters (ClientOrderIdTooLong, ClientOrderIdMustBeString).
  gemini: text(/^[\s\S]{1,99}$/),
};
/** Venues of one family share the documented rule. */
const FAMILY: Record<string, string> = {
  binanceusdm: 'binance',
  binancecoinm: 'binance',
  binanceus: 'binance',
  bybiteu: 'bybit',
  bybitid: 'bybit',
  kucoinfutures: 'kucoin',
  okxus: 'okx',
  myokx: 'okx',
  gateeu: 'gate',
  fmfwio: 'hitbtc',
  bequant: 'hitbtc',
};
/** A venue whose rule is not known gets what every documented text rule above accepts. */
const SAFE_SUBSET = text(/^[A-Za-z0-9]{1,32}$/);

const documented = (venue: string) => DOCUMENTED[FAMILY[venue] ?? venue];
const VENUES = CLIENT_ID_RULES.flatMap((r) => r.venues);
/** One case per rule (the venues of a rule share it: checked below), named by its venues. */
const RULES = CLIENT_ID_RULES.map((r) => [r.venues.join(', '), r.venues[0]!] as const);

/** Every id Kairos makes: a strategy's `<tag>-<n>`, an API order's `k` + 31 hex, and the grammar. */
const strategyIds = fc
  .tuple(fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: 1e12 - 2 }))
  .map(([strategy, start]) => new ClientOrderIds(strategy, start).next());
const apiIds = fc
  .tuple(fc.string(), fc.string(), fc.option(fc.string(), { nil: undefined }))
  .map(([user, key, account]) => clientOrderIdFor(user, key, account));
const grammar = fc.stringMatching(/^[A-Za-z0-9_-]{1,36}$/);
/** Ids at the common 32-character limits, sent as they are or not by one character. */
const atLimits = fc.stringMatching(/^[A-Za-z0-9]{31,34}$/);
const kairosIds = fc.oneof(strategyIds, apiIds, grammar, atLimits);

const sentValue = (venue: string, id: string) => {
  const params = venueClientIds(venue).createParams(id);
  const keys = Object.keys(params);
  if (keys.length !== 1) expect(keys).toHaveLength(1);
  return params[keys[0]!];
};

describe('client order ids at each venue', () => {
  it('names a documented rule for every venue in the table, all ccxt exchanges', () => {
    for (const r of CLIENT_ID_RULES)
      for (const v of r.venues) {
        expect(CCXT_EXCHANGE_IDS.has(v)).toBe(true);
        expect(clientIdRule(v)).toBe(r);
        expect(documented(v)).toBeDefined();
      }
  });

  it.each(RULES)(
    '%s: every Kairos id goes in the documented form, the same in every process',
    (venues) => {
      fc.assert(
        fc.property(kairosIds, (id) => {
          for (const venue of venues.split(', ')) {
            const sent = sentValue(venue, id);
            const ok = documented(venue)!(sent);
            hot({ venue, sent, ok }).toEqual({ venue, sent, ok: true });
            // A restarted process sends, and asks with, the same value.
            hot(sentValue(venue, id)).toBe(sent);
            hot(venueClientIds(venue).toVenue(id)).toBe(String(sent));
          }
        }),
        { numRuns: 200 },
      );
    },
  );

  it.each(RULES)(
    '%s: distinct ids go distinct, and read back in the sender and after a restart',
    (_, venue) => {
      fc.assert(
        fc.property(fc.uniqueArray(kairosIds, { minLength: 2, maxLength: 20 }), (ids) => {
          const sender = venueClientIds(venue);
          const sent = ids.map((id) => sender.toVenue(id));
          hot(new Set(sent).size).toBe(ids.length);
          ids.forEach((id, i) => hot(sender.fromVenue(sent[i])).toBe(id));
          // A restarted process knows its ids, not the venue's forms: it asks with each id
          // (queryParams, toVenue) and then reads the venue's answers back.
          const restarted = venueClientIds(venue);
          ids.forEach((id) => restarted.ask('fetchOrder', id, undefined));
          ids.forEach((id, i) => hot(restarted.fromVenue(sent[i])).toBe(id));
        }),
        { numRuns: 60 },
      );
    },
  );

  it("one strategy's ids take consecutive integers at an integer venue: no two ever collide", () => {
    for (const venue of ['bitfinex', 'htx', 'woo']) {
      fc.assert(
        fc.property(fc.string({ maxLength: 30 }), fc.integer({ min: 0, max: 1e9 }), (s, start) => {
          const ids = new ClientOrderIds(s, start);
          const first = BigInt(venueClientIds(venue).toVenue(ids.next()));
          const max = venue === 'bitfinex' ? 2n ** 45n - 1n : 2n ** 53n - 1n;
          for (let k = 1; k < 20; k++) {
            const v = BigInt(venueClientIds(venue).toVenue(ids.next()));
            hot(v).toBe(((first - 1n + BigInt(k)) % max) + 1n);
          }
        }),
        { numRuns: 30 },
      );
    }
  });

  it("reads a readable form back in any process: the id as it is, OKX and BingX escapes, Gate's prefix", () => {
    const readable: Record<string, string> = {
      binance: 'sma_cross-12',
      bybit: 'sma_cross-12',
      okx: 'smaXHcrossXH12',
      bingx: 'smaxhcrossxh12',
      kraken: 'sma_cross-12',
      gate: 't-sma_cross-12',
      coinbase: 'sma-cross-12',
    };
    for (const [venue, form] of Object.entries(readable)) {
      const id =
        venue === 'bingx' || venue === 'okx' || venue === 'coinbase'
          ? 'sma-cross-12'
          : 'sma_cross-12';
      expect(venueClientIds(venue).toVenue(id)).toBe(form);
      expect(venueClientIds(venue).fromVenue(form)).toBe(id);
    }
    // Ids Kairos did not write (the web site's, ccxt's own) come back as they are.
    expect(venueClientIds('gate').fromVenue('apiv4')).toBe('apiv4');
    expect(venueClientIds('kraken').fromVenue('web-1')).toBe('web-1');
    // A hashed form nobody here sent or asked for is not taken for one of ours.
    expect(venueClientIds('bitfinex').fromVenue('123456')).toBeUndefined();
    expect(venueClientIds('kraken').fromVenue('0123456789abcdef0123456789abcdef')).toBeUndefined();
  });

  it("a venue not in the table gets 1-32 letters and digits (OKX's encoding), never the id as it is", () => {
    const unknown = [...CCXT_EXCHANGE_IDS].filter((v) => !VENUES.includes(v));
    expect(unknown.length).toBeGreaterThan(50);
    for (const venue of unknown) expect(clientIdRule(venue)).toBe(DEFAULT_RULE);
    fc.assert(
      fc.property(fc.constantFrom(...unknown, 'not-a-ccxt-id'), kairosIds, (venue, id) => {
        const ids = venueClientIds(venue);
        const sent = ids.toVenue(id);
        hot(SAFE_SUBSET(sent)).toBe(true);
        hot(ids.createParams(id)).toEqual({ clientOrderId: sent });
        hot(ids.fromVenue(sent)).toBe(id);
        hot(sent).toBe(venueClientIds('okx').toVenue(id));
      }),
      { numRuns: 300 },
    );
    // Every documented text rule above takes what the default sends, except the ones in the
    // table for that reason (Kraken's 18, Gate's prefix, BingX's case, UUIDs and integers).
    const takesSafe = [
      'binance',
      'bybit',
      'kucoin',
      'krakenfutures',
      'cryptocom',
      'deribit',
      'okx',
      'coinbase',
      'hitbtc',
    ];
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{1,32}$/), (v) => {
        for (const venue of takesSafe)
          hot({ venue, v, ok: DOCUMENTED[venue]!(v) }).toEqual({ venue, v, ok: true });
      }),
    );
  });

  it("sends the id under the key ccxt maps to the venue's field, and reads it from the venue's order", () => {
    expect(venueClientIds('coinbase').createParams('a-1')).toEqual({ client_order_id: 'a-1' });
    expect(venueClientIds('cryptocom').createParams('a-1')).toEqual({ client_oid: 'a-1' });
    expect(venueClientIds('deribit').createParams('a-1')).toEqual({ label: 'a-1' });
    expect(venueClientIds('deribit').reported({ info: { label: 'a-1' } })).toBe('a-1');
    expect(typeof venueClientIds('bitfinex').createParams('a-1').clientOrderId).toBe('number');
    expect(venueClientIds('binance').reported({ clientOrderId: 'a-1', info: {} })).toBe('a-1');
    // Look-ups: Bitfinex cancels by cid only with its day (ccxt throws without), so by venue id;
    // Gate finds a finished order only by its venue id, so by client id only when that is unknown.
    const ask = (venue: string, call: OrderCall, venueId?: string) =>
      venueClientIds(venue).ask(call, 'a-1', venueId);
    expect(ask('bitfinex', 'fetchOrder')).toBeNull();
    expect(ask('bitfinex', 'cancelOrder', '9')).toEqual({ id: '9', params: {} });
    expect(ask('gate', 'fetchOrder')).toEqual({ id: '', params: { clientOrderId: 't-a-1' } });
    expect(ask('gate', 'fetchOrder', '123')).toEqual({ id: '123', params: {} });
    expect(ask('kraken', 'fetchOrder')).toBeNull();
    expect(ask('okx', 'fetchOrder', '9')).toEqual({ id: '9', params: { clientOrderId: 'aXH1' } });
    // Gate cancels by the `t-…` text in the path; Bitstamp and Gemini by their own id only, found
    // first (null); Gemini asks by client_order_id without order_id, or by order_id alone.
    expect(ask('gate', 'cancelOrder')).toEqual({ id: 't-a-1', params: {} });
    expect(ask('gate', 'cancelOrder', '123')).toEqual({ id: '123', params: {} });
    expect(ask('bitstamp', 'cancelOrder')).toBeNull();
    expect(ask('bitstamp', 'cancelOrder', '7')).toEqual({ id: '7', params: {} });
    expect(ask('bitstamp', 'fetchOrder')).toEqual({ id: '', params: { clientOrderId: 'a-1' } });
    expect(ask('gemini', 'cancelOrder')).toBeNull();
    expect(ask('gemini', 'cancelOrder', '8')).toEqual({ id: '8', params: {} });
    expect(ask('gemini', 'fetchOrder')).toEqual({
      id: undefined,
      params: { client_order_id: 'a-1' },
    });
    expect(ask('gemini', 'fetchOrder', '8')).toEqual({ id: '8', params: {} });
  });
});

/** Ids a strategy or caller may name its own orders with: anything, near every venue's limits. */
const anyIds = fc.oneof(
  kairosIds,
  binaryString({ maxLength: 120 }),
  fc.stringMatching(/^[.A-Z:/a-z0-9_ -]{0,110}$/),
  fc.constantFrom(
    '',
    ' ',
    'a b',
    'a/b:c.d',
    'ä-1',
    '🙂',
    'x'.repeat(36),
    'x'.repeat(37),
    'x'.repeat(40),
    'x'.repeat(41),
    'x'.repeat(64),
    'x'.repeat(65),
    'x'.repeat(100),
    'x'.repeat(101),
  ),
);

describe("an id the strategy names: every venue's rule, before anything is sent", () => {
  it.each(RULES)(
    '%s: an id is refused (naming the field and the rule) or goes in the documented form',
    (venues) => {
      fc.assert(
        fc.property(anyIds, (id) => {
          for (const venue of venues.split(', ')) {
            const why = venueClientIds(venue).refusal(id);
            const check = clientIdRule(venue).check;
            if (why === null) {
              const sent = sentValue(venue, id);
              const ok = documented(venue)!(sent);
              hot({ venue, id, sent, ok }).toEqual({ venue, id, sent, ok: true });
            } else {
              const names = `clientOrderId: ${venue}'s ${check!.field} takes ${check!.rule}`;
              if (!why.includes(names)) expect(why).toContain(names);
            }
            // Where Kairos sends the id as it is and the venue documents its characters, the
            // check is exactly the venue's rule.
            if (venue === 'binance' || venue === 'bybit' || venue === 'kucoin')
              hot({ venue, id, taken: why === null }).toEqual({
                venue,
                id,
                taken: documented(venue)!(id),
              });
          }
        }),
        { numRuns: 150 },
      );
    },
  );
});
