import ccxt from 'ccxt';
import { createExchange } from '../../../../../src/trading/venues/ccxt/exchange-factory.js';
import {
  CCXT_EXCHANGE_IDS,
  CCXT_PRO_EXCHANGE_IDS,
} from '../../../../../src/trading/venues/ccxt/exchange-ids.js';
import { importExchangeClass } from '../../../../../src/trading/venues/ccxt/exchange-modules.js';

// A venue's class from its own module (exchange-modules.ts), not from all of ccxt: the very class
// ccxt's index gives, so one copy of ccxt's base classes and errors in a process that loads both.
// The built files (dist/vendor/ccxt/) are checked by test/e2e/ccxt-exchange-modules.test.ts.

type Classes = Record<string, unknown>;

describe("ccxt's exchange classes, each from its own module", () => {
  it('knows the ccxt.pro ids without loading ccxt: exactly ccxt.pro.exchanges, in its order', () => {
    // ccxt's types leave out the list it adds to `pro` at run time.
    const { exchanges } = ccxt.pro as unknown as { exchanges: string[] };
    expect([...CCXT_PRO_EXCHANGE_IDS]).toEqual(exchanges);
    for (const id of CCXT_PRO_EXCHANGE_IDS) expect(CCXT_EXCHANGE_IDS.has(id)).toBe(true);
  });

  it('gives ccxt[id] and ccxt.pro[id] themselves, for every id', async () => {
    const rest = ccxt as unknown as Classes;
    const pro = ccxt.pro as unknown as Classes;
    const differ: string[] = [];
    for (const id of CCXT_EXCHANGE_IDS)
      if ((await importExchangeClass(id, false)) !== rest[id]) differ.push(id);
    for (const id of CCXT_PRO_EXCHANGE_IDS)
      if ((await importExchangeClass(id, true)) !== pro[id]) differ.push(`pro/${id}`);
    expect(differ).toEqual([]);
  });

  it('has no module for an id it does not list: a ccxt id without a pro class, anything else', async () => {
    const none = [
      'binanse',
      'Binance',
      '',
      'pro',
      'Exchange',
      'base/Exchange',
      '../ccxt',
      'pro/okx',
    ];
    for (const id of none) expect(await importExchangeClass(id, false)).toBeNull();
    const restOnly = [...CCXT_EXCHANGE_IDS].filter((id) => !CCXT_PRO_EXCHANGE_IDS.has(id));
    expect(restOnly.length).toBeGreaterThan(0);
    for (const id of [...none, ...restOnly]) expect(await importExchangeClass(id, true)).toBeNull();
  });

  it('builds exchanges whose errors and base class are ccxt’s own', async () => {
    const { exchange } = await createExchange({ exchangeId: 'binance', pro: true });
    expect(exchange).toBeInstanceOf(ccxt.pro.binance);
    expect(exchange).toBeInstanceOf(ccxt.binance);
    expect(exchange).toBeInstanceOf(ccxt.Exchange);
    // No keys: ccxt's own error class, thrown before any request.
    expect(() => exchange.checkRequiredCredentials()).toThrow(ccxt.AuthenticationError);
    expect(() => exchange.checkRequiredCredentials()).toThrow(ccxt.BaseError);
  });

  it('still refuses an unknown id and a WebSocket class ccxt lacks, as before', async () => {
    await expect(createExchange({ exchangeId: 'binanse' })).rejects.toMatchObject({
      code: 'VENUE_UNKNOWN',
      message:
        'exchange "binanse": not a ccxt exchange id (e.g. binance, kraken, okx; see ccxt.exchanges)',
    });
    const restOnly = [...CCXT_EXCHANGE_IDS].find((id) => !CCXT_PRO_EXCHANGE_IDS.has(id))!;
    await expect(createExchange({ exchangeId: restOnly, pro: true })).rejects.toMatchObject({
      code: 'VENUE_UNSUPPORTED',
      message: `exchange ${restOnly}: ccxt has no WebSocket (pro) class for it; use REST polling`,
    });
  });
});
