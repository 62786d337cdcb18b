import fc from 'fast-check';
import { serveVenues } from '../../../src/cli/serve-command.js';
import { loadConfig } from '../../../src/system/config.js';

describe('kairos serve --venue', () => {
  const flags = (venue: string[] = [], venueSymbol: string[] = [], exchangeUrl?: string) => ({
    venue,
    venueSymbol,
    ...(exchangeUrl === undefined ? {} : { exchangeUrl }),
  });

  it('is --venue (repeated), else KAIROS_VENUES, else none (paper only); at --exchange-url, else EXCHANGE_URL', () => {
    const env = loadConfig({ KAIROS_VENUES: 'kraken, okx', EXCHANGE_URL: 'http://127.0.0.1:1' });
    expect(serveVenues(flags(['binance'], [], 'http://127.0.0.1:2'), env)).toEqual([
      { id: 'binance', url: 'http://127.0.0.1:2' },
    ]);
    expect(serveVenues(flags(), env)).toEqual([
      { id: 'kraken', url: 'http://127.0.0.1:1' },
      { id: 'okx', url: 'http://127.0.0.1:1' },
    ]);
    expect(serveVenues(flags(), loadConfig({}))).toEqual([]);
    expect(serveVenues(flags(['binance'], ['BTC/USDT', 'ETH/USDT']), loadConfig({}))).toEqual([
      { id: 'binance', symbols: ['BTC/USDT', 'ETH/USDT'] },
    ]);
  });

  it("gives each venue ccxt's spacing and the breaker's open time when they are set", () => {
    const env = loadConfig({ EXCHANGE_RATE_LIMIT_MS: '1', EXCHANGE_CIRCUIT_HALF_OPEN_MS: '500' });
    expect(serveVenues(flags(['binance']), env)).toEqual([
      { id: 'binance', rateLimitMs: 1, circuitHalfOpenMs: 500 },
    ]);
  });

  it('refuses a KAIROS_VENUES entry that is not an exchange id, naming it', () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 12 })
          .filter((s) => !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(s.trim()) && !s.includes(',')),
        (bad) => {
          expect(() => loadConfig({ KAIROS_VENUES: `binance,${bad}` })).toThrow(
            /^KAIROS_VENUES: .* is not a ccxt exchange id/,
          );
        },
      ),
    );
  });
});
