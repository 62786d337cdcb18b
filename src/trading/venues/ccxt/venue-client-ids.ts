import { createHash } from 'node:crypto';

/**
 * Kairos's client order ids (`<strategy tag>-<n>`: letters, digits, `_` and `-`, up to 36
 * characters; `core/client-order-id.ts`) as a venue with a narrower rule takes them, and back.
 */
export interface VenueClientIds {
  /** The id the venue is sent for Kairos's `id`. */
  toVenue(id: string): string;
  /**
   * Kairos's id for one the venue reports; undefined for none, or for an id that is not one of
   * ours (an order placed elsewhere) and was not sent from this process.
   */
  fromVenue(venueId: string | undefined): string | undefined;
}

/** Venues whose client order id must be 1 to 32 letters and digits (OKX and its sites). */
const ALNUM_32 = new Set(['okx', 'okxus', 'myokx']);

const SAME: VenueClientIds = { toVenue: (id) => id, fromVenue: (id) => id || undefined };

/**
 * How client order ids travel to `exchangeId` (ccxt's id): unchanged, except where the venue
 * allows only letters and digits, up to 32 (OKX's `clOrdId`). There each `-`, `_` and `X` is
 * written `XH`, `XU` and `XX` (`sma-cross-12` → `smaXHcrossXH12`), which reads back exactly; an
 * id that would not fit 32 characters goes as `XK` and 30 hex digits of its SHA-256, read back
 * only by the process that sent it (a restarted one asks by its own id, which it encodes alike).
 *
 * @example
 * const ids = venueClientIds('okx');
 * ids.toVenue('sma-cross-12'); // 'smaXHcrossXH12'
 * ids.fromVenue('smaXHcrossXH12'); // 'sma-cross-12'
 */
export function venueClientIds(exchangeId: string): VenueClientIds {
  if (!ALNUM_32.has(exchangeId)) return SAME;
  const hashed = new Map<string, string>();
  return {
    toVenue(id) {
      const plain = id.replace(/[-_X]/g, (c) => (c === '-' ? 'XH' : c === '_' ? 'XU' : 'XX'));
      if (plain.length <= 32 && /^[A-Za-z0-9]+$/.test(plain)) return plain;
      const h = `XK${createHash('sha256').update(id).digest('hex').slice(0, 30)}`;
      hashed.set(h, id);
      return h;
    },
    fromVenue(venueId) {
      if (!venueId) return undefined;
      if (venueId.startsWith('XK')) return hashed.get(venueId);
      let out = '';
      for (let i = 0; i < venueId.length; i++) {
        const c = venueId[i]!;
        if (c !== 'X') {
          out += c;
          continue;
        }
        const next = venueId[++i];
        if (next === 'H') out += '-';
        else if (next === 'U') out += '_';
        else if (next === 'X') out += 'X';
        else return venueId; // not written by Kairos: the venue's id as it is
      }
      return out;
    },
  };
}
