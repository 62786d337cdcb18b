import type { MarketInterface } from 'ccxt';
import { instrumentFromMarket } from '../../../../../src/trading/venues/ccxt/markets.js';

function market(over: Partial<MarketInterface> = {}): MarketInterface {
  return {
    symbol: 'BTC/USDT',
    base: 'BTC',
    quote: 'USDT',
    active: true,
    precision: { price: 0.01, amount: 0.00001 },
    limits: { amount: { min: 0.0001, max: 9000 }, cost: { min: 5, max: undefined } },
    maker: 0.001,
    taker: 0.001,
    ...over,
  } as MarketInterface;
}

const fields = (i: ReturnType<typeof instrumentFromMarket>) =>
  [i.tickSize, i.lotSize, i.minQuantity, i.minNotional, i.makerFee, i.takerFee].map((d) =>
    d.toFixed(),
  );

describe('instrumentFromMarket', () => {
  it('takes tick and lot from tick-size precision, minimums and fees from the market', () => {
    const inst = instrumentFromMarket(market(), 4);
    expect(inst).toMatchObject({ id: 'BTC/USDT', base: 'BTC', quote: 'USDT' });
    expect(fields(inst)).toEqual(['0.01', '0.00001', '0.0001', '5', '0.001', '0.001']);
  });

  it('reads decimal-places precision; a minimum below one lot becomes one lot', () => {
    const inst = instrumentFromMarket(
      market({
        precision: { price: 2, amount: 8 },
        limits: { amount: { min: 0, max: undefined } } as MarketInterface['limits'],
        maker: undefined,
        taker: 0.002,
      }),
      2,
    );
    expect(fields(inst)).toEqual(['0.01', '0.00000001', '0.00000001', '0', '0', '0.002']);
  });

  it('refuses significant-digits precision and a missing step, naming the market', () => {
    expect(() => instrumentFromMarket(market(), 3)).toThrow(
      /BTC\/USDT: precision mode SIGNIFICANT_DIGITS has no fixed price step/,
    );
    expect(() =>
      instrumentFromMarket(market({ precision: { price: undefined, amount: 1 } }), 4),
    ).toThrow(/market BTC\/USDT: ccxt gives no price precision/);
  });
});
