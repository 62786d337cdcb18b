import { KairosError } from '../../../src/trading/core/errors.js';
import type { VenueMarketStreams } from '../../../src/api/ws-gateway-options.js';
import { MAX_VENUE_STREAMS } from '../../../src/api/ws-venue-watches.js';
import { until } from '../../support/until.js';
import { subscribedSocket } from '../../support/ws-client.js';
import { gatewayApp } from '../../support/ws-gateway-app.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON frames
type Frame = any;

/**
 * The gateway alone with a venue of many symbols (no ccxt): each venue stream is subscribed once
 * however many clients want it, released after the last, and the clients of one instance keep at
 * most `MAX_VENUE_STREAMS` of them (each is a connection to the venue).
 */
describe('WebSocket venue streams: counted per instance, bounded', () => {
  it('subscribes each stream once, releases it after its last client, and refuses past the bound', async () => {
    const open = new Map<string, number>();
    const market: VenueMarketStreams = {
      check: (venue, symbol) => {
        if (!symbol.startsWith('S')) throw new KairosError('UNKNOWN_INSTRUMENT', `no ${symbol}`);
      },
      watch: async (kind, venue, symbol) => {
        const key = `${kind}:${venue}:${symbol}`;
        open.set(key, (open.get(key) ?? 0) + 1);
        return () => open.delete(key);
      },
      last: () => null,
    };
    const { app, url } = await gatewayApp({ market });
    try {
      const keys = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => `v:S${from + i}/USDT`);
      const a = await subscribedSocket<Frame>(url, 't', []);
      const b = await subscribedSocket<Frame>(url, 't', []);
      const subscribed = (s: typeof a, n: number) =>
        until(() => s.frames.filter((f) => f.type === 'subscribed').length === n, 10_000);
      for (let i = 0; i < MAX_VENUE_STREAMS; i += 100)
        a.send({ type: 'subscribe', channel: 'trades', instruments: keys(i, 100) });
      await subscribed(a, MAX_VENUE_STREAMS / 100);
      b.send({ type: 'subscribe', channel: 'trades', instruments: keys(0, 10) });
      await subscribed(b, 1);
      expect(open.size).toBe(MAX_VENUE_STREAMS);
      expect(Math.max(...open.values())).toBe(1);
      // One more stream: refused, nothing subscribed.
      b.send({ type: 'subscribe', channel: 'book', instruments: keys(0, 1) });
      const e = await until(() => b.frames.find((f) => f.type === 'error'), 10_000);
      expect(e.code).toBe('WS_STREAM_LIMIT');
      expect(e.detail).toContain('v:S0/USDT');
      expect(open.size).toBe(MAX_VENUE_STREAMS);
      // a leaves: only b's ten stay.
      a.close();
      await until(() => open.size === 10, 10_000, 'released after the last client');
      b.close();
      await until(() => open.size === 0, 10_000, 'all released');
    } finally {
      await app.close();
    }
  });
});
