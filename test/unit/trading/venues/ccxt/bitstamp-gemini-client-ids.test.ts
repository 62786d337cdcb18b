import fc from 'fast-check';
import { clientOrderIdFor } from '../../../../../src/api/order-commands.js';
import { ClientOrderIds } from '../../../../../src/trading/core/client-order-id.js';
import { price, quantity } from '../../../../../src/trading/core/money.js';
import type { OrderEvent } from '../../../../../src/trading/model/order-events.js';
import { CcxtExecutionClient } from '../../../../../src/trading/venues/ccxt/ccxt-execution.js';
import { createExchange } from '../../../../../src/trading/venues/ccxt/exchange-factory.js';
import {
  clientIdRule,
  venueClientIds,
} from '../../../../../src/trading/venues/ccxt/venue-client-ids.js';
import { binaryString } from '../../../../support/binary-string.js';
import { submittedOrder } from '../../../../support/builders.js';
import { spotMarket } from '../../../../support/ccxt-spot-market.js';
import { btcInstrument } from '../../../../support/paper-args.js';
import { ccxtNodeVenue } from '../../../../../src/system/live-account-venue.js';
import { VenueGate } from '../../../../../src/system/venue-gate.js';
import { SimClock } from '../../../../../src/trading/clock/sim-clock.js';
import { Kernel } from '../../../../../src/trading/kernel/kernel.js';
import { Topics } from '../../../../../src/trading/bus/topics.js';
import { submitRequest } from '../../../../../src/trading/strategy/strategy-runner.js';

/**
 * Bitstamp's and Gemini's `client_order_id` (docs/venues-client-order-ids.md), written here from
 * their documentation and ccxt's source, not from venue-client-ids.ts: Bitstamp takes "a unique
 * string" (no length or characters documented; Kairos sends its own form, 1-36 of letters,
 * digits, `_` and `-`); Gemini a string under 100 characters (Kairos's characters).
 */
const RULES = {
  bitstamp: { field: 'client_order_id', ok: /^[A-Za-z0-9_-]{1,36}$/ },
  gemini: { field: 'client_order_id', ok: /^[A-Za-z0-9_-]{1,99}$/ },
} as const;
const VENUES = Object.keys(RULES) as (keyof typeof RULES)[];

/** Every id Kairos makes: a strategy's `<tag>-<n>`, an API order's `k` + 31 hex, the grammar. */
const kairosIds = fc.oneof(
  fc
    .tuple(fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: 1e12 - 2 }))
    .map(([strategy, start]) => new ClientOrderIds(strategy, start).next()),
  fc
    .tuple(fc.string(), fc.string(), fc.option(fc.string(), { nil: undefined }))
    .map(([user, key, account]) => clientOrderIdFor(user, key, account)),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,36}$/),
);

/** Ids a strategy or caller might hand in that the venue's rule does not take. */
const hostile = (ok: RegExp) =>
  fc
    .oneof(
      binaryString({ maxLength: 140 }),
      fc.string({ minLength: 100, maxLength: 400 }),
      fc.constantFrom('', ' ', 'a b', 'a\nb', 'x'.repeat(37), 'x'.repeat(100), 'ä-1', 'a/b', '🙂'),
    )
    .filter((id) => !ok.test(id));

/** ccxt's real class of `venue` with one market, every request caught (listed, never sent). */
async function caughtExchange(venue: string, market: Record<string, unknown>) {
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
    return Promise.reject(new Error('caught before sending'));
  };
  ex.setMarkets([market]);
  return { exchange, requests };
}

describe("Bitstamp's and Gemini's client order ids", () => {
  it.each(VENUES)('%s: every id Kairos makes goes as it is, in its rule and field', (venue) => {
    const ids = venueClientIds(venue);
    expect(clientIdRule(venue).check?.field).toBe(RULES[venue].field);
    fc.assert(
      fc.property(kairosIds, (id) => {
        expect(ids.refusal(id)).toBeNull();
        const sent = ids.createParams(id).clientOrderId;
        expect(sent).toBe(id);
        expect(RULES[venue].ok.test(String(sent))).toBe(true);
        expect(ids.fromVenue(String(sent))).toBe(id);
      }),
      { numRuns: 300 },
    );
  });

  it.each(VENUES)(
    '%s: an id outside the rule is refused, naming the field and the rule',
    (venue) => {
      const ids = venueClientIds(venue);
      fc.assert(
        fc.property(hostile(RULES[venue].ok), (id) => {
          const why = ids.refusal(id);
          expect(why).toMatch(
            new RegExp(
              `^clientOrderId: ${venue}'s client_order_id takes .*A-Z a-z 0-9 _ -.*; .* is refused \\((empty|\\d+ characters|".+" is not allowed)\\)$`,
              's',
            ),
          );
        }),
        { numRuns: 300 },
      );
      expect(ids.refusal('x'.repeat(200))).toMatch(/\(200 characters\)$/);
      expect(ids.refusal('sma cross-1')).toMatch(/\(" " is not allowed\)$/);
    },
  );

  it.each(VENUES)(
    '%s: the client rejects such an order (CLIENT_ORDER_ID_INVALID) and sends nothing',
    async (venue) => {
      const { exchange, requests } = await caughtExchange(venue, spotMarket({ id: 'btcusdt' }));
      const events: OrderEvent[] = [];
      const order = (id: string) =>
        submittedOrder(
          {
            instrumentId: 'BTC/USDT',
            type: 'LIMIT',
            price: price('20000'),
            quantity: quantity('1'),
          },
          id,
        );
      const client = new CcxtExecutionClient(
        {
          exchange,
          instruments: [btcInstrument()],
          accountId: 'main',
          now: () => 1_800_000_000_000,
          order: (id) => order(id),
        },
        (e) => events.push(e),
      );
      const bad = `evil id\n${'x'.repeat(120)}`;
      client.submit(order(bad), 0);
      await client.idle();
      expect(events).toEqual([
        expect.objectContaining({
          kind: 'OrderRejected',
          clientOrderId: bad,
          reason: 'CLIENT_ORDER_ID_INVALID',
          message: expect.stringMatching(/^clientOrderId: .*client_order_id takes /),
        }),
      ]);
      expect(requests).toEqual([]);
      // A Kairos id goes out, as it is, in the venue's field.
      client.submit(order('sma-cross-12'), 0);
      await client.idle();
      await client.close();
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.join()).not.toContain('evil');
    },
  );
});

/**
 * A strategy that names its own orders (`submitRequest` takes the id, as a seam's host does):
 * an id the venue's rule refuses is denied by the risk gate, `CLIENT_ORDER_ID_INVALID` naming
 * the field and the rule, as a value (an `OrderDenied`, a ticket), before the order is submitted
 * to the write-ahead client or any request is made; a Kairos id goes to the venue. Through the
 * real ccxt client, `ccxtNodeVenue` and the server's `VenueGate`, as a live account builds them.
 */
const OWN_IDS = {
  // Binance-like: the id goes as it is, up to 36 of [.A-Z:/a-z0-9_-].
  binance: ['x'.repeat(37), 'sma cross-1', 'ä-1', ''],
  bybit: ['x'.repeat(37), 'a/b'],
  kucoin: ['x'.repeat(41), 'a.b'],
  cryptocom: ['x'.repeat(37)],
  deribit: ['x'.repeat(65)],
  gemini: ['x'.repeat(100)],
} as const;

describe("a strategy's own client order id meets the venue's rule at the risk gate", () => {
  it.each(Object.keys(OWN_IDS) as (keyof typeof OWN_IDS)[])(
    '%s: an id outside the rule is denied before the commit, a Kairos id is sent',
    async (venue) => {
      const inst = btcInstrument();
      const { exchange, requests } = await caughtExchange(
        venue,
        spotMarket({ id: 'btcx', symbol: inst.id, quote: inst.quote }),
      );
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
      for (const id of OWN_IDS[venue]) {
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
