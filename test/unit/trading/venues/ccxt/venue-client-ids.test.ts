import { ClientOrderIds } from '../../../../../src/trading/core/client-order-id.js';
import { SeededRandom } from '../../../../../src/trading/core/random.js';
import { venueClientIds } from '../../../../../src/trading/venues/ccxt/venue-client-ids.js';

const OKX_RULE = /^[A-Za-z0-9]{1,32}$/;

describe('venueClientIds', () => {
  it('leaves ids unchanged where the venue takes them as they are', () => {
    const ids = venueClientIds('binance');
    expect(ids.toVenue('sma_cross-12')).toBe('sma_cross-12');
    expect(ids.fromVenue('sma_cross-12')).toBe('sma_cross-12');
    expect(ids.fromVenue(undefined)).toBeUndefined();
  });

  it('OKX: every id Kairos makes goes as 1-32 letters and digits and reads back exactly', () => {
    const rng = new SeededRandom(5);
    const alphabet = 'abXYZ_-09 .é';
    for (let i = 0; i < 2000; i++) {
      const strategy = Array.from(
        { length: 1 + Math.floor(rng.next() * 40) },
        () => alphabet[Math.floor(rng.next() * alphabet.length)],
      ).join('');
      const id = new ClientOrderIds(strategy, Math.floor(rng.next() * 1e9)).next();
      const ids = venueClientIds('okx');
      const sent = ids.toVenue(id);
      expect(sent).toMatch(OKX_RULE);
      expect(ids.fromVenue(sent)).toBe(id);
      // Another process (a restart) sends the same id for the same order.
      expect(venueClientIds('okx').toVenue(id)).toBe(sent);
    }
  });

  it('forgets a hashed form (its order released): it no longer reads back; a readable one still does', () => {
    const ids = venueClientIds('coinbaseexchange');
    const sent = ids.toVenue('sma-cross-1');
    ids.toVenue('sma-cross-2');
    expect(ids.remembered).toBe(2);
    expect(ids.fromVenue(sent)).toBe('sma-cross-1');
    ids.forget('sma-cross-1');
    expect(ids.remembered).toBe(1);
    expect(ids.fromVenue(sent)).toBeUndefined();
    // Asked for again by its own id (as a restarted process asks), it reads back again.
    expect(ids.toVenue('sma-cross-1')).toBe(sent);
    expect(ids.fromVenue(sent)).toBe('sma-cross-1');
    const okx = venueClientIds('okx');
    okx.forget('sma-cross-12');
    expect(okx.fromVenue(okx.toVenue('sma-cross-12'))).toBe('sma-cross-12');
    expect(okx.remembered).toBe(0);
  });

  it('OKX: a short id is readable; one too long goes hashed, known to the process that sent it', () => {
    const ids = venueClientIds('myokx');
    expect(ids.toVenue('sma-cross-12')).toBe('smaXHcrossXH12');
    expect(ids.toVenue('X_1')).toBe('XXXU1');
    const long = 'a-b-c-d-e-f-g-h-i-j-k-l-m-n-1234';
    const sent = ids.toVenue(long);
    expect(sent).toMatch(/^XK[0-9a-f]{30}$/);
    expect(ids.fromVenue(sent)).toBe(long);
    expect(venueClientIds('okx').fromVenue(sent)).toBeUndefined();
    // Ids not written by Kairos (ccxt's own, the web site's) come back as they are.
    expect(ids.fromVenue('e847386590ce4dBCc7f2a1b4c4509f82')).toBe(
      'e847386590ce4dBCc7f2a1b4c4509f82',
    );
    expect(ids.fromVenue('ABXQ')).toBe('ABXQ');
  });
});
