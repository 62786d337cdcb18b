/**
 * One BTC/USDT spot market as ccxt's `setMarkets` takes it, for an exchange class called without
 * its venue (`loadMarkets` never runs); `over` changes fields (the venue's id, its precision).
 *
 * @example
 * exchange.setMarkets([spotMarket({ id: 'btcusdt' })]);
 */
export function spotMarket(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'BTCUSDT',
    symbol: 'BTC/USDT',
    base: 'BTC',
    quote: 'USDT',
    baseId: 'BTC',
    quoteId: 'USDT',
    type: 'spot',
    spot: true,
    swap: false,
    contract: false,
    active: true,
    precision: { amount: 0.0001, price: 0.01 },
    limits: { amount: {}, price: {}, cost: {} },
    info: {},
    ...over,
  };
}
