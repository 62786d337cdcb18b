import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { ClientOrderIds } from '../../../../../src/trading/core/client-order-id.js';
import { CcxtExecutionClient } from '../../../../../src/trading/venues/ccxt/ccxt-execution.js';
import { createExchange } from '../../../../../src/trading/venues/ccxt/exchange-factory.js';
import { submittedOrder } from '../../../../support/builders.js';
import { spotMarket } from '../../../../support/ccxt-spot-market.js';
import { ORDER_STATUS } from '../../../../support/venue-order-status.js';
import { btcInstrument } from '../../../../support/paper-args.js';

const NOW = 1_800_000_000_000;

/**
 * The form Bitstamp and Gemini were sent before 2026-12-07 (docs/venues-client-order-ids.md, "OKX
 * escapes"), written here from the rule, not from the implementation: `-` `_` `X` as `XH` `XU`
 * `XX`; an id over 32 then, `XK` and 30 hex digits of its SHA-256.
 */
function escaped(id: string): string {
  const plain = id.replace(/[-_X]/g, (c) => `X${c === '-' ? 'H' : c === '_' ? 'U' : 'X'}`);
  if (plain.length <= 32) return plain;
  return `XK${createHash('sha256').update(id).digest('hex').slice(0, 30)}`;
}

/** Where each venue looks an order up by client id, and cancels by its own id only. */
const VENUES = {
  bitstamp: {
    status: '/api/v2/order_status/',
    cancel: '/api/v2/cancel_order/',
    apiKey: 'key',
    found: (sent: string) => ORDER_STATUS.bitstamp(sent),
    cancelled: { id: 42, amount: '1', price: '100', type: 0 },
    notFound: { status: 'error', reason: 'Order not found.' },
  },
  gemini: {
    status: '/v1/order/status',
    cancel: '/v1/order/cancel',
    apiKey: 'account-key',
    found: (sent: string) => ORDER_STATUS.gemini(sent),
    cancelled: { order_id: '42', id: '42', symbol: 'btcusdt', is_live: false, is_cancelled: true },
    notFound: { result: 'error', reason: 'OrderNotFound', message: 'Order not found' },
  },
} as const;
type Venue = keyof typeof VENUES;

/** The fields of a request: its query string, and its form or JSON body. */
function fields(url: string, body: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(new URL(url).searchParams);
  if (typeof body === 'string' && body.length > 0) {
    try {
      Object.assign(out, JSON.parse(body));
    } catch {
      Object.assign(out, Object.fromEntries(new URLSearchParams(body)));
    }
  }
  return out;
}

/**
 * ccxt's real class of `venue`, as `createExchange` builds it, over a fake of the venue's wire
 * API holding one open order, `42`, placed with the client id `sent`: a status look-up by
 * another client id is answered with the venue's own "not found" body (ccxt maps it), a cancel
 * of `42` is answered cancelled, anything else fails before leaving.
 */
async function venueHolding(venue: Venue, sent: string) {
  const v = VENUES[venue];
  const { exchange } = await createExchange({
    exchangeId: venue,
    apiKey: v.apiKey,
    secret: Buffer.alloc(32, 7).toString('base64'),
    rateLimitMs: 1,
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- ccxt's internals
  const ex = exchange as any;
  ex.setMarkets([spotMarket()]);
  const asked: { path: string; clientId: unknown; orderId: unknown }[] = [];
  ex.fetch = async (url: string, method: string, headers: unknown, body: unknown) => {
    const f = fields(url, body);
    const path = new URL(url).pathname;
    asked.push({ path, clientId: f.client_order_id, orderId: f.id ?? f.order_id });
    const answer = (status: number, json: unknown) => {
      ex.handleErrors(status, '', url, method, headers, JSON.stringify(json), json, {}, body);
      return json;
    };
    if (url.includes(v.status))
      return f.client_order_id === sent ? v.found(sent) : answer(400, v.notFound);
    if (url.includes(v.cancel) && String(f.id ?? f.order_id) === '42') return v.cancelled;
    throw new Error(`the fake ${venue} has no ${method} ${path}`);
  };
  return { exchange, asked };
}

/** A process started after the upgrade: it holds the order by Kairos's id, not its venue id. */
const restarted = (exchange: Awaited<ReturnType<typeof venueHolding>>['exchange']) =>
  new CcxtExecutionClient(
    {
      exchange,
      instruments: [btcInstrument()],
      accountId: 'main',
      now: () => NOW,
      order: (o) => submittedOrder({ instrumentId: 'BTC/USDT' }, o),
    },
    () => undefined,
  );

/** Strategies' ids (any name, any sequence): those with `-`, `_` or `X` were sent escaped. */
const ids = fc
  .tuple(fc.string({ maxLength: 30 }), fc.integer({ min: 0, max: 1e12 - 2 }))
  .map(([s, start]) => new ClientOrderIds(s, start).next());

/**
 * An order placed on Bitstamp or Gemini before 2026-12-07 carries the escaped form of its id; the
 * upgraded client asks by the id as it is, finds nothing, and asks again in the old form
 * (docs/venues-client-order-ids.md): reconciliation's look-up finds the order live at the venue
 * (not "never sent"), and a cancel finds its venue id by it and cancels that.
 */
describe.each(Object.keys(VENUES) as Venue[])(
  '%s: an order placed before the client id change',
  (venue) => {
    it('is found by reconciliation’s look-up after the upgrade, as it is at the venue', async () => {
      await fc.assert(
        fc.asyncProperty(ids, async (id) => {
          const { exchange, asked } = await venueHolding(venue, escaped(id));
          const client = restarted(exchange);
          const report = await client.orderByClientId(id);
          await client.close();
          expect(report && { ...report, filledQuantity: report.filledQuantity.toFixed() }).toEqual({
            clientOrderId: id,
            venueOrderId: '42',
            status: 'OPEN',
            filledQuantity: '0',
            reason: null,
          });
          // Asked as it is first; in the old form only where the two differ.
          expect(asked.map((a) => a.clientId)).toEqual(
            escaped(id) === id ? [id] : [id, escaped(id)],
          );
        }),
        { numRuns: 25 },
      );
    });

    it('is cancelled by the venue id its old form finds', async () => {
      const id = 'sma_cross-12';
      const { exchange, asked } = await venueHolding(venue, escaped(id));
      const client = restarted(exchange);
      client.cancel(id, 0);
      await client.idle();
      await client.close();
      // (A cancel answer that does not say cancelled is settled by asking again, after these.)
      expect(asked.slice(0, 3).map((a) => [a.path, a.clientId ?? a.orderId])).toEqual([
        [VENUES[venue].status, id],
        [VENUES[venue].status, 'smaXUcrossXH12'],
        [VENUES[venue].cancel, '42'],
      ]);
    });
  },
);
