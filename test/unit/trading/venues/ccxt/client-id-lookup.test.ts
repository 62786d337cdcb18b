import type { Exchange, Order } from 'ccxt';
import { CcxtExecutionClient } from '../../../../../src/trading/venues/ccxt/ccxt-execution.js';
import { venueClientIds } from '../../../../../src/trading/venues/ccxt/venue-client-ids.js';
import { submittedOrder } from '../../../../support/builders.js';
import { btcInstrument } from '../../../../support/paper-args.js';

const NOW = 1_800_000_000_000;

/**
 * A venue that ccxt cannot ask by client order id (its `fetchOrder` takes only the venue's id):
 * it lists its open and closed orders, each with the client order id in the form it was sent
 * (`form`) in ccxt's `clientOrderId`, or only in the venue's own field (`info`).
 */
function listingVenue(id: string, orders: Record<string, unknown>[]) {
  const asked: string[] = [];
  const venue = {
    id,
    has: { fetchOpenOrders: true, fetchClosedOrders: true },
    async fetchOrder(venueId: string) {
      asked.push(`fetchOrder ${venueId}`);
      return orders.find((o) => o.id === venueId) as unknown as Order;
    },
    async fetchOpenOrders() {
      asked.push('fetchOpenOrders');
      return orders.filter((o) => o.status === 'open') as unknown as Order[];
    },
    async fetchClosedOrders() {
      asked.push('fetchClosedOrders');
      return orders.filter((o) => o.status !== 'open') as unknown as Order[];
    },
    async cancelOrder(venueId: string, _s: string, params: Record<string, unknown>) {
      asked.push(`cancelOrder ${venueId} ${JSON.stringify(params)}`);
      return { ...orders.find((o) => o.id === venueId), status: 'canceled' } as unknown as Order;
    },
  };
  return { exchange: venue as unknown as Exchange, asked };
}

const order = (id: string, status: string, more: Record<string, unknown>) => ({
  id,
  symbol: 'BTC/X',
  status,
  amount: 1,
  filled: status === 'closed' ? 1 : 0,
  info: {},
  ...more,
});

/** A process started after the orders were sent: it knows Kairos's ids only. */
const restarted = (exchange: Exchange) =>
  new CcxtExecutionClient(
    { exchange, instruments: [btcInstrument()], accountId: 'main', now: () => NOW },
    () => undefined,
  );

describe('finding an order by client id where ccxt cannot ask the venue by it', () => {
  it('Bitfinex (integer cid): a restarted process finds its open and its filled order', async () => {
    const cid = (id: string) => venueClientIds('bitfinex').toVenue(id);
    const { exchange, asked } = listingVenue('bitfinex', [
      order('11', 'open', { clientOrderId: cid('sma-cross-1') }),
      order('12', 'closed', { clientOrderId: cid('sma-cross-2') }),
      order('13', 'open', { clientOrderId: '424242' }), // placed elsewhere
    ]);
    const client = restarted(exchange);
    expect(await client.orderByClientId('sma-cross-1')).toMatchObject({
      clientOrderId: 'sma-cross-1',
      venueOrderId: '11',
      status: 'OPEN',
    });
    expect(await client.orderByClientId('sma-cross-2')).toMatchObject({
      clientOrderId: 'sma-cross-2',
      venueOrderId: '12',
      status: 'FILLED',
    });
    // Asked by id, every open order reads back; one placed elsewhere is not taken for ours.
    const open = await client.openOrders();
    expect(open.map((r) => r.clientOrderId)).toEqual(['sma-cross-1', 'venue-order-13']);
    expect(asked.filter((a) => a.startsWith('fetchOrder'))).toEqual([]);
    await client.close();
  });

  it('Deribit (its label, which ccxt does not parse): found, and cancelled by its venue id', async () => {
    const { exchange, asked } = listingVenue('deribit', [
      order('ETH-77', 'open', { clientOrderId: undefined, info: { label: 'grid_1-9' } }),
    ]);
    const client = restarted(exchange);
    expect(await client.orderByClientId('grid_1-9')).toMatchObject({
      clientOrderId: 'grid_1-9',
      venueOrderId: 'ETH-77',
    });
    expect(await client.orderByClientId('grid_1-8')).toBeNull();
    await client.close();
    // A cancel after a restart: the venue id is found first, then the cancel names it.
    const known = new CcxtExecutionClient(
      {
        exchange,
        instruments: [btcInstrument()],
        accountId: 'main',
        now: () => NOW,
        order: (id) => submittedOrder({ instrumentId: 'BTC/X' }, id),
      },
      () => undefined,
    );
    known.cancel('grid_1-9', NOW);
    await known.idle();
    expect(asked.filter((a) => a.startsWith('cancelOrder'))).toEqual(['cancelOrder ETH-77 {}']);
    expect(asked.filter((a) => a.startsWith('fetchOrder'))).toEqual([]);
    await known.close();
  });

  it('a venue with no fetchOrder in ccxt: the order is looked for in its lists', async () => {
    const sent = venueClientIds('zaif').toVenue('sma-cross-3'); // the default form
    const { exchange, asked } = listingVenue('zaif', [order('7', 'open', { clientOrderId: sent })]);
    expect(exchange.has.fetchOrder).toBeUndefined();
    const client = restarted(exchange);
    expect(await client.orderByClientId('sma-cross-3')).toMatchObject({
      clientOrderId: 'sma-cross-3',
      venueOrderId: '7',
    });
    // Its venue id is known now; still no fetchOrder.
    expect(await client.orderByClientId('sma-cross-3')).toMatchObject({ venueOrderId: '7' });
    expect(asked).toEqual(['fetchOpenOrders', 'fetchOpenOrders']);
    await client.close();
  });
});
