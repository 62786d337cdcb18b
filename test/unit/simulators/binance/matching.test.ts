import { Dec, toDecimal } from '../../../../src/trading/core/decimal.js';
import { Account } from '../../../../src/simulators/binance/account.js';
import { BinanceError } from '../../../../src/simulators/binance/binance-error.js';
import { SpotMatcher, type PlaceRequest } from '../../../../src/simulators/binance/matching.js';
import { symbolSpec } from '../../../../src/simulators/binance/symbol-spec.js';

function setup(last: number | null = 100) {
  const spec = symbolSpec({
    symbol: 'BTC/USDT',
    tickSize: '0.01',
    stepSize: '0.1',
    minNotional: '5',
  });
  const account = new Account({ BTC: '2', USDT: '1000' });
  const events: Record<string, unknown>[] = [];
  let price = last;
  const m = new SpotMatcher({
    spec,
    account,
    makerFee: Dec('0.001'),
    takerFee: Dec('0.002'),
    maxVolumeFraction: 0.5,
    emit: (e) => events.push(e),
    marketNow: () => 1000,
    serverNow: () => 5,
    lastPrice: () => price,
  });
  return { m, account, events, setLast: (p: number) => (price = p) };
}

const buy = (over: Partial<PlaceRequest> = {}): PlaceRequest => ({
  side: 'BUY',
  type: 'LIMIT',
  timeInForce: 'GTC',
  quantity: toDecimal('1'),
  quoteOrderQty: null,
  price: toDecimal('99'),
  clientOrderId: 'c1',
  ...over,
});

const code = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof BinanceError ? `${e.code} ${e.message}` : String(e);
  }
};

describe('SpotMatcher', () => {
  it('locks a resting buy, fills it in parts at its price as maker, releases on cancel', () => {
    const { m, account, events } = setup();
    const { order } = m.place(buy({ quantity: toDecimal('3') }));
    expect(order.status).toBe('NEW');
    expect(account.balances()).toContainEqual({
      asset: 'USDT',
      free: '703.00000000',
      locked: '297.00000000',
    });
    m.onMarketTrade(100, 10, 2000); // above the limit: nothing
    m.onMarketTrade(98.5, 2, 3000); // half of 2 may fill
    expect(order.status).toBe('PARTIALLY_FILLED');
    expect(order.executedQty.toString()).toBe('1');
    const trade = m.trades()[0]!;
    expect(trade).toMatchObject({ isMaker: true, time: 3000, commissionAsset: 'BTC' });
    expect(trade.price.toString()).toBe('99');
    expect(trade.commission.toString()).toBe('0.001');
    m.cancel({ origClientOrderId: 'c1' }, null);
    expect(order.status).toBe('CANCELED');
    expect(account.balances()).toEqual([
      { asset: 'BTC', free: '2.99900000', locked: '0.00000000' },
      { asset: 'USDT', free: '901.00000000', locked: '0.00000000' },
    ]);
    expect(events.map((e) => (e.e === 'executionReport' ? e.x : e.e))).toEqual([
      'NEW',
      'outboundAccountPosition',
      'TRADE',
      'outboundAccountPosition',
      'CANCELED',
      'outboundAccountPosition',
    ]);
    expect(events[4]).toMatchObject({ C: 'c1', c: 'sim-cancel-1', X: 'CANCELED' });
  });

  it('fills a marketable limit and a market order at the last price, as taker', () => {
    const { m } = setup();
    const limit = m.place(buy({ price: toDecimal('105'), clientOrderId: 'a' }));
    expect(limit.order.status).toBe('FILLED');
    expect(limit.fills[0]!.price.toString()).toBe('100');
    const market = m.place(
      buy({
        type: 'MARKET',
        price: null,
        quantity: null,
        quoteOrderQty: toDecimal('55'),
        clientOrderId: 'b',
      }),
    );
    expect(market.order.executedQty.toString()).toBe('0.5'); // 55 / 100 floored to the step
    expect(market.fills[0]!.isMaker).toBe(false);
  });

  it('rejects like Binance', () => {
    const { m } = setup();
    m.place(buy());
    expect(code(() => m.place(buy()))).toBe('-2010 Duplicate order sent.');
    expect(code(() => m.place(buy({ clientOrderId: 'x', quantity: toDecimal('100') })))).toMatch(
      /^-2010 Account has insufficient balance/,
    );
    expect(code(() => m.place(buy({ clientOrderId: 'x', quantity: toDecimal('0.05') })))).toBe(
      '-1013 Filter failure: LOT_SIZE',
    );
    expect(code(() => m.place(buy({ clientOrderId: 'x', price: toDecimal('99.001') })))).toBe(
      '-1013 Filter failure: PRICE_FILTER',
    );
    expect(
      code(() =>
        m.place(buy({ clientOrderId: 'x', quantity: toDecimal('0.1'), price: toDecimal('40') })),
      ),
    ).toBe('-1013 Filter failure: NOTIONAL');
    expect(
      code(() =>
        m.place(buy({ clientOrderId: 'x', type: 'LIMIT_MAKER', price: toDecimal('101') })),
      ),
    ).toBe('-2010 Order would immediately match and take.');
    expect(code(() => m.cancel({ orderId: 99 }, null))).toBe('-2011 Unknown order sent.');
    expect(code(() => setup(null).m.place(buy({ type: 'MARKET', price: null })))).toBe(
      '-2010 Market is closed.',
    );
  });

  it('expires an IOC limit that cannot fill now', () => {
    const { m, account } = setup();
    const { order } = m.place(buy({ timeInForce: 'IOC' }));
    expect(order.status).toBe('EXPIRED');
    expect(account.free('USDT').toString()).toBe('1000');
  });
});
