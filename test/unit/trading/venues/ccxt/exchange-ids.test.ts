import ccxt from 'ccxt';
import { isExchangeId } from '../../../../../src/trading/venues/ccxt/exchange-factory.js';
import { CCXT_EXCHANGE_IDS } from '../../../../../src/trading/venues/ccxt/exchange-ids.js';

describe("ccxt's exchange ids, known without loading ccxt", () => {
  it('are exactly ccxt.exchanges of the installed ccxt, in its order', () => {
    expect([...CCXT_EXCHANGE_IDS]).toEqual(ccxt.exchanges);
  });

  it('isExchangeId answers from them: every ccxt id yes, anything else no', async () => {
    for (const id of ccxt.exchanges) expect(await isExchangeId(id)).toBe(true);
    for (const id of ['binanse', 'Binance', '', 'binance ', 'pro', 'base', 'Exchange'])
      expect(await isExchangeId(id)).toBe(false);
  });
});
