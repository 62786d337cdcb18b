import type { Exchange, Order } from 'ccxt';
import { CcxtExecutionClient } from '../../../../../src/trading/venues/ccxt/ccxt-execution.js';
import { venueClientIds } from '../../../../../src/trading/venues/ccxt/venue-client-ids.js';
import { btcInstrument } from '../../../../support/paper-args.js';

/** Bitfinex as ccxt sees it: asked by venue id only, its orders listed with their integer cid. */
function bitfinex(orders: Record<string, unknown>[]): Exchange {
  return {
    id: 'bitfinex',
    has: { fetchOpenOrders: true, fetchClosedOrders: true },
    fetchOpenOrders: async () => orders.filter((o) => o.status === 'open') as unknown as Order[],
    fetchClosedOrders: async () => orders.filter((o) => o.status !== 'open') as unknown as Order[],
  } as unknown as Exchange;
}

describe('CcxtExecutionClient on a venue with hashed client ids', () => {
  it('forgets the hashed id of an order it looked up once the order has been closed for the retention', async () => {
    const cid = (id: string) => venueClientIds('bitfinex').toVenue(id);
    const order = (id: string, status: string, clientOrderId: string) => ({
      id,
      symbol: 'BTC/X',
      status,
      amount: 1,
      filled: status === 'closed' ? 1 : 0,
      clientOrderId,
      info: {},
    });
    let now = 1_800_000_000_000;
    const client = new CcxtExecutionClient(
      {
        exchange: bitfinex([
          order('11', 'open', cid('sma-cross-1')),
          order('12', 'closed', cid('sma-cross-2')),
        ]),
        instruments: [btcInstrument()],
        accountId: 'main',
        now: () => now,
        closedOrderRetentionMs: 60_000,
      },
      () => undefined,
    );
    expect(await client.orderByClientId('sma-cross-2')).toMatchObject({ status: 'FILLED' });
    expect(client.memory).toMatchObject({ orders: 1, venueIds: 1, hashedIds: 1 });
    now += 60_000;
    await client.openOrders(); // a sweep notes it closed
    now += 60_000;
    await client.openOrders(); // one past the window releases it
    // Nothing left: the open order of another process, whose id does not read back here, is
    // listed under a placeholder that is never remembered.
    expect(client.memory).toMatchObject({ orders: 0, venueIds: 0, hashedIds: 0 });
    // Asked for again by its own id, as a restarted process asks, it is found.
    expect(await client.orderByClientId('sma-cross-2')).toMatchObject({
      clientOrderId: 'sma-cross-2',
      status: 'FILLED',
    });
    await client.close();
  });
});
