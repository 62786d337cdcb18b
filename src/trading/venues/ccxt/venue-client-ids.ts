import { createHash } from 'node:crypto';

/**
 * Kairos's client order ids (`<strategy tag>-<n>`: letters, digits, `_` and `-`, up to 36
 * characters; `core/client-order-id.ts`) as a venue with a narrower rule takes them, and back.
 * Each venue's rule and its source: `docs/venues-client-order-ids.md`.
 */
export interface VenueClientIds {
  /** The id the venue is sent for Kairos's `id` (the same in every process: a restart asks with it). */
  toVenue(id: string): string;
  /**
   * Kairos's id for one the venue reports; undefined for none, or for a hashed form (an integer,
   * a UUID, a digest) that this process neither sent nor asked for. An id that Kairos did not
   * write (an order placed elsewhere) comes back as it is.
   */
  fromVenue(venueId: string | undefined): string | undefined;
  /** `createOrder`'s params carrying `id` (the venue's own key where ccxt drops its unified one). */
  createParams(id: string): Record<string, unknown>;
  /**
   * Why the venue must not be sent `id` (`CLIENT_ORDER_ID_INVALID`: the message names the field
   * and the rule), where its row checks ids (`ClientIdRule.check`); null: it may be sent.
   */
  refusal(id: string): string | null;
  /**
   * How `call` names the order `id` (its venue id if known): ccxt's id argument and params, or
   * null where the venue id is unknown and the venue cannot be asked this way by client id: then
   * the venue id is found first (`fetchOrder` by client id where the venue has it, else the open
   * and closed orders), and the call names the order by it. With `form` `legacy`: the same ask
   * carrying the form the venue was sent before its rule changed (`ClientIdRule.legacy`); null
   * where there is none, it is the same, or the ask would not carry the client id.
   */
  ask(
    call: OrderCall,
    id: string,
    venueOrderId: string | undefined,
    form?: 'current' | 'legacy',
  ): OrderAsk | null;
  /** The client order id a venue's order carries as ccxt parsed it (ccxt's field, else the venue's). */
  reported(order: { readonly clientOrderId?: string; readonly info?: unknown }): string | undefined;
  /**
   * Forgets the hashed (and legacy) form of `id` (its order released): a report in that form then no longer
   * reads back here, and the order is found again by asking with `id`.
   */
  forget(id: string): void;
  /** How many hashed and legacy forms are remembered (a diagnostic). */
  readonly remembered: number;
}

/** The ccxt calls that name one order. */
export type OrderCall = 'fetchOrder' | 'cancelOrder';

/** ccxt's arguments naming one order: `id` (undefined: none sent) and `params`. */
export interface OrderAsk {
  readonly id: string | undefined;
  readonly params: Record<string, unknown>;
}

/** How one rule writes ids: `hashed` forms read back only from memory (see `venueClientIds`). */
interface Encoding {
  encode(id: string): { readonly sent: string; readonly hashed: boolean };
  /** Kairos's id of a venue id in the readable form; undefined for a hashed form. */
  decode(venueId: string): string | undefined;
}

/** One venue family's rule (ccxt ids), as `docs/venues-client-order-ids.md` records it. */
export interface ClientIdRule {
  readonly venues: readonly string[];
  readonly encoding: Encoding;
  /** The `createOrder` param ccxt maps to the venue's field (default: ccxt's `clientOrderId`). */
  readonly param?: string;
  /** The param naming the order in `fetchOrder`/`cancelOrder` (null: ccxt cannot; default `param`). */
  readonly queryParam?: string | null;
  /**
   * Ask by client id only when the venue id is unknown (Gate finds a finished order only by its
   * id; Gemini takes one of the two, never both).
   */
  readonly queryByVenueIdFirst?: boolean;
  /** `fetchOrder` by client id sends no order id (ccxt would send an empty one beside it). */
  readonly queryWithoutId?: boolean;
  /**
   * How `cancelOrder` names an order whose venue id is unknown, where not as `fetchOrder` does:
   * `asId`, the client id is ccxt's id argument (Gate: `t-…` in the path); `venueId`, the venue
   * cancels by its own id only, so that is found first (Gemini, Bitstamp).
   */
  readonly cancelBy?: 'asId' | 'venueId';
  /** The field of the venue's order that carries the id, where ccxt does not parse it. */
  readonly field?: string;
  /** Sent as a JSON number (the venue takes an integer). */
  readonly integer?: boolean;
  /**
   * The rule an id sent as it is must meet, checked before any request (an id that breaks it
   * is refused, never rewritten): for a venue whose rule reads back every Kairos id unchanged.
   */
  readonly check?: IdCheck;
  /**
   * The form the venue was sent before its row changed (Bitstamp and Gemini until 2026-12-07:
   * OKX's escapes, then the default): an order placed then carries it, so a look-up by client id
   * that finds nothing asks again in it; from then on the venue's reports in it read back here.
   */
  readonly legacy?: Encoding;
}

/** A venue's rule for an id it is sent as it is (`ClientIdRule.check`). */
export interface IdCheck {
  /** The venue's field, e.g. `client_order_id`. */
  readonly field: string;
  /** At most this many characters (at least one). */
  readonly max: number;
  /** Every character one of these (a one-character class, e.g. `/[A-Za-z0-9_-]/`). */
  readonly chars: RegExp;
  /** The rule in words, as the refusal says it. */
  readonly rule: string;
}

const hex = (id: string) => createHash('sha256').update(id).digest('hex');

/** The venue takes every Kairos id as it is. */
const same: Encoding = { encode: (id) => ({ sent: id, hashed: false }), decode: (v) => v };

/**
 * Letters and digits only, up to 32: `-`, `_` and the escape letter `e` are written `eH`, `eU`
 * and `eX` (`sma-cross-12` → `smaXHcrossXH12`), which reads back exactly; an id that would not
 * fit (or, lower case only, one with a capital) goes as `eK` and 30 hex digits of its SHA-256.
 * `e` is `X` (OKX, and venues whose rule is not known) or `x` for a venue that folds case.
 */
function escaped(e: 'X' | 'x'): Encoding {
  const lower = e === 'x';
  const code = (c: string) => (lower ? c.toLowerCase() : c);
  const [H, U, X, K] = ['H', 'U', 'X', 'K'].map(code) as [string, string, string, string];
  const special = new RegExp(`[-_${e}]`, 'g');
  const valid = lower ? /^[a-z0-9]+$/ : /^[A-Za-z0-9]+$/;
  return {
    encode(id) {
      const plain = id.replace(special, (c) => e + (c === '-' ? H : c === '_' ? U : X));
      if (plain.length <= 32 && valid.test(plain)) return { sent: plain, hashed: false };
      return { sent: `${e}${K}${hex(id).slice(0, 30)}`, hashed: true };
    },
    decode(venueId) {
      if (venueId.startsWith(e + K)) return undefined;
      let out = '';
      for (let i = 0; i < venueId.length; i++) {
        const c = venueId[i]!;
        if (c !== e) {
          out += c;
          continue;
        }
        const next = venueId[++i];
        if (next === H) out += '-';
        else if (next === U) out += '_';
        else if (next === X) out += e;
        else return venueId; // not written by Kairos: the venue's id as it is
      }
      return out;
    },
  };
}

/**
 * The id as it is (after `prefix`) where it has at most `max` characters, all of `chars`; else
 * `prefix` and `digest(sha256 hex)`, a form `isDigest` tells apart from every readable one.
 */
function fitting(o: {
  max: number;
  chars: RegExp;
  prefix?: string;
  digest: (hex: string) => string;
  isDigest: (body: string) => boolean;
}): Encoding {
  const prefix = o.prefix ?? '';
  return {
    encode(id) {
      if (id.length <= o.max && o.chars.test(id)) return { sent: prefix + id, hashed: false };
      return { sent: prefix + o.digest(hex(id)), hashed: true };
    },
    decode(venueId) {
      if (!venueId.startsWith(prefix)) return venueId;
      const body = venueId.slice(prefix.length);
      return o.isDigest(body) ? undefined : body;
    },
  };
}

/** Always a digest (a UUID, a hex string): read back only from memory. */
function digestOnly(digest: (hex: string) => string): Encoding {
  return { encode: (id) => ({ sent: digest(hex(id)), hashed: true }), decode: () => undefined };
}

/** A UUID (8-4-4-4-12 hex, version 4 and variant bits set) from the id's SHA-256: 122 bits. */
const uuidOf = (h: string) =>
  [
    h.slice(0, 8),
    h.slice(8, 12),
    `4${h.slice(13, 16)}`,
    ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16) + h.slice(17, 20),
    h.slice(20, 32),
  ].join('-');

/**
 * An integer in [1, max]. An id `<tag>-<n>` goes as `1 + (H(tag) + n) mod max`, H being 62 bits
 * of the tag's SHA-256: the orders of one strategy take consecutive integers, so two of them
 * never share one (while fewer than `max`); two strategies collide only if their runs of
 * integers overlap, which for tags with N orders each has probability about 2N/max. Any other
 * id goes as `1 + H(id) mod max`.
 */
function integer(max: bigint): Encoding {
  const h = (s: string) => BigInt(`0x${hex(s).slice(0, 16)}`) >> 2n;
  return {
    encode(id) {
      const m = /^(.+)-(0|[1-9]\d{0,14})$/.exec(id);
      const v = m ? (h(m[1]!) + BigInt(m[2]!)) % max : h(id) % max;
      return { sent: (v + 1n).toString(), hashed: true };
    },
    decode: () => undefined,
  };
}

const KAIROS_CHARS = /^[A-Za-z0-9_-]+$/;
/** One character of Kairos's own form (`IdCheck.chars` where a venue documents none). */
const KAIROS_CHAR = /[A-Za-z0-9_-]/;

/** The form for a venue whose rule is not known: OKX's (see {@link DEFAULT_RULE}). */
const UNKNOWN = escaped('X');

/**
 * The rules of the venues a user is likely to trade (ccxt ids). A venue not named here gets
 * {@link DEFAULT_RULE}. Sources and the rules in words: `docs/venues-client-order-ids.md`.
 */
export const CLIENT_ID_RULES: readonly ClientIdRule[] = [
  // 1-36 of [.A-Z:/a-z0-9_-] (newClientOrderId, spot and futures).
  {
    venues: ['binance', 'binanceusdm', 'binancecoinm', 'binanceus'],
    encoding: same,
    check: {
      field: 'newClientOrderId',
      max: 36,
      chars: /[.A-Z:/a-z0-9_-]/,
      rule: '1-36 of A-Z a-z 0-9 . : / _ - (Binance)',
    },
  },
  // orderLinkId: up to 36 letters, digits, `-` and `_`.
  // ccxt's fetchOrder/cancelOrder pass the venue's `orderLinkId` through, not `clientOrderId`.
  {
    venues: ['bybit', 'bybiteu', 'bybitid'],
    encoding: same,
    queryParam: 'orderLinkId',
    check: {
      field: 'orderLinkId',
      max: 36,
      chars: KAIROS_CHAR,
      rule: '1-36 of A-Z a-z 0-9 _ - (Bybit)',
    },
  },
  // clientOid: up to 40 letters, digits, `-` and `_`.
  {
    venues: ['kucoin', 'kucoinfutures'],
    encoding: same,
    check: {
      field: 'clientOid',
      max: 40,
      chars: KAIROS_CHAR,
      rule: '1-40 of A-Z a-z 0-9 _ - (KuCoin)',
    },
  },
  // cliOrdId: up to 100 characters (cancelorder takes it; ccxt passes it through).
  {
    venues: ['krakenfutures'],
    encoding: same,
    queryParam: 'cliOrdId',
    check: {
      field: 'cliOrdId',
      max: 100,
      chars: KAIROS_CHAR,
      rule: 'up to 100 characters (Kraken Futures; no characters documented); Kairos sends 1-100 of A-Z a-z 0-9 _ -',
    },
  },
  // client_oid: up to 36 characters; ccxt drops its unified `clientOrderId` here.
  {
    venues: ['cryptocom'],
    encoding: same,
    param: 'client_oid',
    queryParam: null,
    check: {
      field: 'client_oid',
      max: 36,
      chars: KAIROS_CHAR,
      rule: 'up to 36 characters (Crypto.com; no characters documented); Kairos sends 1-36 of A-Z a-z 0-9 _ -',
    },
  },
  // label: up to 64 characters; ccxt neither maps nor parses it as the client order id.
  {
    venues: ['deribit'],
    encoding: same,
    param: 'label',
    queryParam: null,
    field: 'label',
    check: {
      field: 'label',
      max: 64,
      chars: KAIROS_CHAR,
      rule: 'up to 64 characters (Deribit; no characters documented); Kairos sends 1-64 of A-Z a-z 0-9 _ -',
    },
  },
  // OKX's clOrdId: 1-32 letters and digits.
  { venues: ['okx', 'okxus', 'myokx'], encoding: escaped('X') },
  // HitBTC's client_order_id (ccxt's order id there): ccxt does not map `clientOrderId`; its
  // own example is 32 of letters, digits, `-` and `_`.
  {
    venues: ['hitbtc', 'fmfwio', 'bequant'],
    encoding: escaped('X'),
    param: 'client_order_id',
    queryParam: null,
  },
  // BingX's clientOrderID: 1-40 characters, stored in lower case.
  { venues: ['bingx'], encoding: escaped('x'), queryParam: null },
  // Kraken's cl_ord_id: free text of up to 18 ASCII characters, or a UUID (32 hex, or 36 with dashes).
  {
    venues: ['kraken'],
    encoding: fitting({
      max: 18,
      chars: KAIROS_CHARS,
      digest: (h) => h.slice(0, 32),
      isDigest: (b) => /^[0-9a-f]{32}$/.test(b),
    }),
    // QueryOrders needs the order's txid: ccxt's fetchOrder cannot ask by cl_ord_id.
    queryParam: null,
  },
  // Gate's text: `t-` and up to 28 of [0-9A-Za-z_.-]; ccxt refuses one over 28 with its `t-`.
  {
    venues: ['gate', 'gateeu'],
    encoding: fitting({
      prefix: 't-',
      max: 26,
      chars: KAIROS_CHARS,
      digest: (h) => `.${h.slice(0, 25)}`,
      isDigest: (b) => b.startsWith('.'),
    }),
    queryByVenueIdFirst: true,
    // DELETE /spot/orders/{order_id} takes the `t-…` text as the id; ccxt would send an empty
    // path and `?clientOrderId=`, which Gate does not read.
    cancelBy: 'asId',
  },
  // Coinbase Advanced's client_order_id: ccxt sends its own (`ccxt-` and a UUID) unless given
  // `client_order_id`; letters, digits and `-` are what that form proves accepted.
  {
    venues: ['coinbase'],
    encoding: fitting({
      max: 36,
      chars: /^[A-Za-z0-9-]+$/,
      digest: (h) => h.slice(0, 40),
      isDigest: (b) => /^[0-9a-f]{40}$/.test(b),
    }),
    param: 'client_order_id',
    queryParam: null,
  },
  // Coinbase Exchange's client_oid: a UUID.
  { venues: ['coinbaseexchange'], encoding: digestOnly(uuidOf) },
  // Hyperliquid's cloid: 128 bits as `0x` and 32 hex digits.
  { venues: ['hyperliquid'], encoding: digestOnly((h) => `0x${h.slice(0, 32)}`) },
  // Bitfinex's cid: an int45; a cancel by cid also needs the day it was made (cid_date).
  { venues: ['bitfinex'], encoding: integer(2n ** 45n - 1n), integer: true, queryParam: null },
  // HTX contracts' client_order_id: an integer in [1, 2^63-1] (ccxt reads it as a JS number:
  // at most 2^53-1); spot's client-order-id (up to 64 characters) takes its digits too.
  { venues: ['htx'], encoding: integer(2n ** 53n - 1n), integer: true },
  // WOO X's client order id: an integer in [0, 2^63-1].
  { venues: ['woo'], encoding: integer(2n ** 53n - 1n), integer: true },
  // ccxt reads these as integers: Backpack's clientId and dYdX's clientId are uint32, Lighter's
  // client_order_index is kept to an int32 by ccxt, NDAX's ClientOrderId is a long. ccxt looks
  // their orders up by venue id (Backpack and Lighter have no fetchOrder at all).
  {
    venues: ['backpack', 'dydx', 'lighter', 'ndax'],
    encoding: integer(2n ** 31n - 1n),
    integer: true,
    queryParam: null,
  },
  // Bitstamp's client_order_id: "a unique string", usable once; Bitstamp documents no length
  // or characters, and ccxt passes it through as a string (`createOrder`, `fetchOrder`). Kairos
  // sends its own id as it is, so only its own form: 1-36 of letters, digits, `_` and `-`.
  // order_status takes `client_order_id` (ccxt maps `clientOrderId` to it); cancel_order `id` only.
  {
    venues: ['bitstamp'],
    encoding: same,
    legacy: UNKNOWN,
    cancelBy: 'venueId',
    check: {
      field: 'client_order_id',
      max: 36,
      chars: KAIROS_CHAR,
      rule: 'a unique string; Bitstamp documents no length or characters, so Kairos sends 1-36 of A-Z a-z 0-9 _ - (its own form)',
    },
  },
  // Gemini's client_order_id: a string under 100 characters (its errors ClientOrderIdTooLong and
  // ClientOrderIdMustBeString, in ccxt's table); no characters documented, so Kairos's own.
  // /v1/order/status takes it instead of `order_id`, never both; /v1/order/cancel `order_id` only.
  {
    venues: ['gemini'],
    encoding: same,
    legacy: UNKNOWN,
    queryParam: 'client_order_id',
    queryByVenueIdFirst: true,
    queryWithoutId: true,
    cancelBy: 'venueId',
    check: {
      field: 'client_order_id',
      max: 99,
      chars: KAIROS_CHAR,
      rule: 'a string under 100 characters (Gemini); Kairos sends 1-99 of A-Z a-z 0-9 _ -',
    },
  },
];

/**
 * A venue whose rule is not known: 1-32 letters and digits (OKX's encoding), the widest form
 * that every documented text rule above accepts (see the docs for why).
 */
export const DEFAULT_RULE: ClientIdRule = { venues: [], encoding: UNKNOWN };

const BY_VENUE = new Map(CLIENT_ID_RULES.flatMap((r) => r.venues.map((v) => [v, r] as const)));

/** The rule of `exchangeId` (ccxt's id), or the default. */
export function clientIdRule(exchangeId: string): ClientIdRule {
  return BY_VENUE.get(exchangeId) ?? DEFAULT_RULE;
}

/**
 * How client order ids travel to `exchangeId` (ccxt's id), by its rule in `CLIENT_ID_RULES`.
 * A readable form (the id as it is, OKX's escapes, Gate's `t-` prefix) reads back in any
 * process; a hashed one (a digest, a UUID, an integer) reads back only in the process that sent
 * or asked for it, so a restarted one finds its orders by asking with its own ids, which it
 * encodes alike.
 *
 * @example
 * const ids = venueClientIds('okx');
 * ids.toVenue('sma-cross-12'); // 'smaXHcrossXH12'
 * ids.fromVenue('smaXHcrossXH12'); // 'sma-cross-12'
 */
export function venueClientIds(exchangeId: string): VenueClientIds {
  const rule = clientIdRule(exchangeId);
  const param = rule.param ?? 'clientOrderId';
  const queryParam = rule.queryParam === undefined ? param : rule.queryParam;
  const hashed = new Map<string, string>();
  const toVenue = (id: string) => {
    const { sent, hashed: h } = rule.encoding.encode(id);
    if (h) hashed.set(sent, id);
    return sent;
  };
  const value = (id: string, to = toVenue) => (rule.integer ? Number(to(id)) : to(id));
  const legacy = rule.legacy;
  // A legacy form reads back only once asked for, like a hashed one: read back by its escapes, a
  // current id such as `aXHb` would be taken for the old form of `a-b`.
  const toLegacy =
    legacy &&
    ((id: string) => {
      const { sent } = legacy.encode(id);
      hashed.set(sent, id);
      return sent;
    });
  /** `call`'s arguments naming an order by the client id `v` (or by `venueOrderId`). */
  const askBy = (call: OrderCall, v: string | number, venueOrderId: string | undefined) => {
    const byVenueId = { id: venueOrderId, params: {} };
    if (call === 'cancelOrder' && rule.cancelBy !== undefined) {
      if (venueOrderId) return byVenueId;
      return rule.cancelBy === 'asId' ? { id: String(v), params: {} } : null;
    }
    if (queryParam === null) return venueOrderId ? byVenueId : null;
    if (rule.queryByVenueIdFirst && venueOrderId) return byVenueId;
    const noId = rule.queryWithoutId && !venueOrderId;
    return { id: noId ? undefined : (venueOrderId ?? ''), params: { [queryParam]: v } };
  };
  return {
    toVenue,
    fromVenue(venueId) {
      if (!venueId) return undefined;
      return hashed.get(venueId) ?? rule.encoding.decode(venueId);
    },
    createParams: (id) => ({ [param]: value(id) }),
    refusal(id) {
      const c = rule.check;
      if (c === undefined) return null;
      const bad = [...id].find((ch) => !c.chars.test(ch));
      if (id.length >= 1 && id.length <= c.max && bad === undefined) return null;
      const shown = id.length > 48 ? `${JSON.stringify(id.slice(0, 48))}…` : JSON.stringify(id);
      const why =
        id.length === 0
          ? 'empty'
          : id.length > c.max
            ? `${id.length} characters`
            : `${JSON.stringify(bad)} is not allowed`;
      return `clientOrderId: ${exchangeId}'s ${c.field} takes ${c.rule}; ${shown} is refused (${why})`;
    },
    ask(call, id, venueOrderId, form = 'current') {
      // Encoded even when not sent: the venue's answers (open orders, fills) then read back.
      const v = value(id);
      if (form === 'current') return askBy(call, v, venueOrderId);
      if (!toLegacy) return null;
      const old = value(id, toLegacy);
      if (String(old) === String(v)) return null;
      const a = askBy(call, old, venueOrderId);
      const carries = a !== null && (a.id === String(old) || Object.values(a.params).includes(old));
      return carries ? a : null;
    },
    reported(order) {
      if (order.clientOrderId) return order.clientOrderId;
      const info = order.info as Record<string, unknown> | undefined;
      const v = rule.field ? info?.[rule.field] : undefined;
      return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
    },
    forget(id) {
      const { sent, hashed: h } = rule.encoding.encode(id);
      if (h && hashed.get(sent) === id) hashed.delete(sent);
      const old = legacy?.encode(id).sent;
      if (old !== undefined && hashed.get(old) === id) hashed.delete(old);
    },
    get remembered() {
      return hashed.size;
    },
  };
}
