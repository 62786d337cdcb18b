import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { price, quantity } from '../../../../src/trading/core/money.js';
import { orderToJson } from '../../../../src/trading/model/order-json.js';
import type { Order } from '../../../../src/trading/model/order.js';
import { PaperVenue } from '../../../../src/trading/venues/paper/paper-venue.js';
import { bar, instrument, submittedOrder } from '../../../support/builders.js';

/**
 * A submit's order is made into JSON once: its op line carries that text (not a second
 * `JSON.stringify` of the op with the order parsed back), and must be byte for byte the line the
 * op as a whole stringifies to, so a restart reads back the same venue.
 */
describe('PaperVenue op lines', () => {
  const inst = instrument();
  const options = { venue: 'PAPER', instruments: [inst] };
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-venue-line-'));
    file = path.join(dir, 'venue.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const orders: Order[] = [
    submittedOrder(
      { instrumentId: inst.id, type: 'LIMIT', price: price('0.000000012'), tag: 'q"u\\o\n é😀' },
      'line-1',
    ),
    submittedOrder(
      {
        instrumentId: inst.id,
        type: 'LIMIT',
        side: 'SELL',
        price: price('123456789.5'),
        quantity: quantity('0.0001'),
        tag: '\ud800 lone',
      },
      'line-2',
    ),
    submittedOrder({ instrumentId: 'NOT/LISTED' }, 'line-3'),
  ];

  it.each([
    ['no writer', undefined],
    ['a fenced writer', { token: 7 }],
  ] as const)(
    'with %s: each submit line is JSON.stringify of its op, and a restart reads the same venue',
    (_, writer) => {
      const venue = new PaperVenue(file, options, () => undefined, writer);
      venue.onBar(bar(100, 100, 100, 100, 0));
      orders.forEach((o, i) => venue.submit(o, 1_000 + i));
      const lines = readFileSync(`${file}.log`, 'utf8').split('\n').filter(Boolean);
      const submits = lines.filter((l) => l.includes('"op":"submit"'));
      expect(submits).toEqual(
        orders.map((o, i) =>
          JSON.stringify({
            seq: i + 2,
            op: 'submit',
            order: orderToJson(o),
            ts: 1_000 + i,
            ...(writer ? { t: writer.token } : {}),
          }),
        ),
      );
      const working = venue.state().working.map((w) => w.order);
      expect(working).toEqual([orderToJson(orders[0]!), orderToJson(orders[1]!)]);
      expect(new PaperVenue(file, options, () => undefined).state()).toEqual(venue.state());
    },
  );
});
