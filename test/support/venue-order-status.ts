/**
 * Bitstamp's (`order_status`) and Gemini's (`/v1/order/status`) answer to a look-up of their
 * open order `42`, a buy of 1 BTC/USDT at 100 nothing of which is filled, carrying the client id
 * `sent`, as ccxt's classes parse it.
 *
 * @example
 * ex.fetch = async () => ORDER_STATUS.gemini('sma-cross-12');
 */
export const ORDER_STATUS: Readonly<Record<'bitstamp' | 'gemini', (sent: string) => unknown>> = {
  gemini: (sent) => ({
    order_id: '42',
    id: '42',
    symbol: 'btcusdt',
    side: 'buy',
    type: 'exchange limit',
    timestampms: 1_800_000_000_000,
    is_live: true,
    is_cancelled: false,
    price: '100',
    original_amount: '1',
    executed_amount: '0',
    remaining_amount: '1',
    client_order_id: sent,
  }),
  bitstamp: (sent) => ({
    id: 42,
    datetime: '2027-01-15 08:00:00',
    type: '0',
    status: 'Open',
    market: 'BTC/USDT',
    transactions: [],
    amount_remaining: '1',
    client_order_id: sent,
  }),
};
