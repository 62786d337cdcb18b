import { ccxtNodeVenue } from '../../../../../src/system/live-account-venue.js';
import { VenueGate } from '../../../../../src/system/venue-gate.js';
import { SimClock } from '../../../../../src/trading/clock/sim-clock.js';
import { Kernel } from '../../../../../src/trading/kernel/kernel.js';
import { Topics } from '../../../../../src/trading/bus/topics.js';
import type { OrderEvent } from '../../../../../src/trading/model/order-events.js';
import { submitRequest } from '../../../../../src/trading/strategy/strategy-runner.js';
import { CcxtExecutionClient } from '../../../../../src/trading/venues/ccxt/ccxt-execution.js';
import { createExchange } from '../../../../../src/trading/venues/ccxt/exchange-factory.js';
import { spotMarket } from '../../../../support/ccxt-spot-market.js';
import { btcInstrument } from '../../../../support/paper-args.js';

/**
 * A strategy that names its own orders (`submitRequest` takes the id, as a seam's host does):
 * an id the venue's rule refuses is denied by the risk gate, `CLIENT_ORDER_ID_INVALID` naming
 * the field and the rule, as a value (an `OrderDenied`, a ticket), before the order is submitted
 * to the write-ahead client or any request is made; a Kairos id goes to the venue. Through the
 * real ccxt client, `ccxtNodeVenue` and the server's `VenueGate`, as a live account builds them.
 */
const VENUES = {
  // Binance-like: the id goes as it is, up to 36 of [.A-Z:/a-z0-9_-].
  binance: ['x'.repeat(37), 'sma cross-1', 'ä-1', ''],
  bybit: ['x'.repeat(37), 'a/b'],
  kucoin: ['x'.repeat(41), 'a.b'],
  cryptocom: ['x'.repeat(37)],
  deribit: ['x'.repeat(65)],
  gemini: ['x'.repeat(100)],
} as const;

describe("a strategy's own client order id meets the venue's rule at the risk gate", () => {
  it.each(Object.keys(VENUES) as (keyof typeof VENUES)[])(
    '%s: an id outside the rule is denied before the commit, a Kairos id is sent',
    async (venue) => {
      const { exchange } = await createExchange({
        exchangeId: venue,
        apiKey: venue === 'gemini' ? 'account-key' : 'key',
        secret: Buffer.alloc(32, 7).toString('base64'),
        ...(venue === 'kucoin' ? { password: 'pass' } : {}),
        enableRateLimit: false,
      });
      const requests: string[] = [];
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const ex = exchange as any;
      ex.fetch = (url: string) => {
        requests.push(url);
        return Promise.reject(new Error('not sent in this test'));
      };
      const inst = btcInstrument();
      ex.setMarkets([spotMarket({ id: 'btcx', symbol: inst.id, quote: inst.quote })]);
      let client: CcxtExecutionClient | undefined;
      const submitted: string[] = [];
      const k = new Kernel({
        accountId: 'main',
        clock: new SimClock(1_800_000_000_000),
        instruments: [inst],
        cash: { [inst.quote]: '1000000' },
        venue: (ports) => {
          client = new CcxtExecutionClient(
            {
              exchange,
              instruments: [inst],
              accountId: 'main',
              now: () => 1_800_000_000_000,
              order: ports.order,
            },
            ports.report,
          );
          const v = new VenueGate().wrap(ccxtNodeVenue(client));
          return {
            ...v,
            submit: (o, ts) => {
              submitted.push(o.clientOrderId);
              v.submit(o, ts);
            },
          };
        },
      });
      const events: OrderEvent[] = [];
      k.bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => events.push(e));
      const services = k.strategyServices(
        'own-ids',
        () => 0,
        () => undefined,
      );
      const req = { side: 'BUY', type: 'LIMIT', quantity: '1', price: '0.0016' } as const;
      for (const id of VENUES[venue]) {
        const ticket = submitRequest(services, 'own-ids', req, inst, id, 0);
        expect(ticket).toEqual({
          clientOrderId: id,
          accepted: false,
          reason: 'CLIENT_ORDER_ID_INVALID',
        });
        expect(k.exec.order(id)).toMatchObject({ status: 'DENIED' });
        const denied = events.find((e) => e.clientOrderId === id && e.kind === 'OrderDenied');
        expect(denied).toMatchObject({
          reason: 'CLIENT_ORDER_ID_INVALID',
          message: expect.stringMatching(new RegExp(`^clientOrderId: ${venue}'s \\S+ takes `)),
        });
      }
      await client!.idle();
      expect(submitted).toEqual([]);
      expect(requests).toEqual([]);
      // A Kairos id passes the gate and is handed to the venue's client.
      expect(submitRequest(services, 'own-ids', req, inst, 'own-ids-1', 0).accepted).toBe(true);
      await client!.idle();
      expect(submitted).toEqual(['own-ids-1']);
      await client!.close();
    },
  );
});
