import type { Exchange, Order as CcxtOrder } from 'ccxt';
import { quantity } from '../../../../../src/trading/core/money.js';
import { applyOrderEvent } from '../../../../../src/trading/model/apply-order-event.js';
import type { Order } from '../../../../../src/trading/model/order.js';
import { CcxtExecutionClient } from '../../../../../src/trading/venues/ccxt/ccxt-execution.js';
import {
  CLOCK_MARGIN_MS,
  createTakeWindowMs,
  lastTakeAt,
} from '../../../../../src/trading/venues/ccxt/create-expiry.js';
import { createExchange } from '../../../../../src/trading/venues/ccxt/exchange-factory.js';
import { venueClientIds } from '../../../../../src/trading/venues/ccxt/venue-client-ids.js';
import { submittedOrder } from '../../../../support/builders.js';
import { btcInstrument } from '../../../../support/paper-args.js';

type Signed = { headers: Record<string, string> };
const signOf = (ex: Exchange) =>
  (ex as unknown as { sign(...args: unknown[]): Signed }).sign.bind(ex);

describe('a create the venue may take late: its server-side expiry', () => {
  it("stamps OKX's place requests (ccxt okx) with expTime: venue time + the window; not its reads", async () => {
    const { exchange } = await createExchange({
      exchangeId: 'okx',
      apiKey: 'k',
      secret: 's',
      password: 'p',
      timeoutMs: 7_000,
    });
    // The venue's clock 2 s ahead of ours, as ClockSkew would set it.
    (exchange.options as Record<string, unknown>).timeDifference = -2_000;
    const sign = signOf(exchange);
    const before = Date.now();
    const place = sign('trade/batch-orders', 'private', 'POST', [{ instId: 'BTC-USDT' }]);
    const after = Date.now();
    const exp = Number(place.headers.expTime);
    expect(exp).toBeGreaterThanOrEqual(before + 2_000 + 7_000);
    expect(exp).toBeLessThanOrEqual(after + 2_000 + 7_000);
    const single = sign('trade/order', 'private', 'POST', { instId: 'BTC-USDT' });
    expect(Number(single.headers.expTime)).toBeGreaterThanOrEqual(exp);
    expect(
      sign('trade/order', 'private', 'GET', { instId: 'BTC-USDT', ordId: '1' }).headers.expTime,
    ).toBeUndefined();
    expect(createTakeWindowMs(exchange)).toBe(7_000);
    const { exchange: longer } = await createExchange({
      exchangeId: 'okx',
      apiKey: 'k',
      secret: 's',
      password: 'p',
      createExpiryMs: 3_000,
    });
    expect(createTakeWindowMs(longer)).toBe(3_000);
  });

  it("reads Binance's and Bybit's recvWindow (ccxt's own); no window on a venue without one", async () => {
    const made = async (exchangeId: string) => (await createExchange({ exchangeId })).exchange;
    expect(createTakeWindowMs(await made('binance'))).toBe(10_000);
    expect(createTakeWindowMs(await made('bybit'))).toBe(5_000);
    expect(createTakeWindowMs(await made('kraken'))).toBeUndefined();
    expect(createTakeWindowMs(await made('bitfinex'))).toBeUndefined();
    expect(lastTakeAt(1_000, 10_000, 60_000)).toBe(11_000 + CLOCK_MARGIN_MS);
    expect(lastTakeAt(1_000, undefined, 60_000)).toBe(61_000);
  });

  it('on a venue with no expiry, an unanswered create is looked for until unansweredCreateGraceMs after the call, not only the not-found grace', async () => {
    const ccxt = (await import('ccxt')).default;
    let t = 1_800_000_000_000;
    const cid = venueClientIds('bitfinex').toVenue('sma-cross-1');
    let takenAt = Infinity;
    const order = { id: '11', symbol: 'BTC/X', status: 'open', amount: 1, filled: 0 };
    // Bitfinex as ccxt sees it (no deadline on requests; asked by lists): the create's answer is
    // lost, and the venue takes the order 20 s after the call ended. Each list read takes 20 s.
    const venue = {
      id: 'bitfinex',
      has: { fetchOpenOrders: true, fetchClosedOrders: true },
      createOrder: () => Promise.reject(new ccxt.RequestTimeout('bitfinex timed out')),
      fetchOpenOrders: async () => (t >= takenAt ? [{ ...order, clientOrderId: cid }] : []),
      fetchClosedOrders: async () => {
        t += 20_000;
        return [] as CcxtOrder[];
      },
    } as unknown as Exchange;
    let mine: Order = submittedOrder(
      { instrumentId: 'BTC/X', quantity: quantity('1'), accountId: 'main' },
      'sma-cross-1',
    );
    const client = new CcxtExecutionClient(
      {
        exchange: venue,
        instruments: [btcInstrument()],
        accountId: 'main',
        now: () => t,
        order: (id) => (id === mine.clientOrderId ? mine : undefined),
      },
      (e) => (mine = applyOrderEvent(mine, e)),
    );
    client.submit(mine, t);
    await client.idle();
    expect(mine).toMatchObject({ status: 'UNKNOWN', reason: 'VENUE_TIMEOUT' });
    takenAt = t + 20_000;
    // Past the 5 s grace after one read; found after the venue took it, within 60 s.
    expect(await client.orderByClientId('sma-cross-1')).toMatchObject({
      clientOrderId: 'sma-cross-1',
      venueOrderId: '11',
      status: 'OPEN',
    });
    await client.close();
  });
});
