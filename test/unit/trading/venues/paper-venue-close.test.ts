import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KairosError } from '../../../../src/trading/core/errors.js';
import type { OrderEvent } from '../../../../src/trading/model/order-events.js';
import { PaperVenue } from '../../../../src/trading/venues/paper/paper-venue.js';
import { bar, instrument, submittedOrder } from '../../../support/builders.js';
import { fdsOn } from '../../../support/open-fds.js';

/**
 * The paper venue keeps its op log open between ops; it used to close it only when the venue
 * was garbage-collected (a venue had no close). Whoever builds one closes it now, and a closed
 * venue refuses ops instead of writing to a descriptor that may have been reused.
 */
describe('PaperVenue close', () => {
  const inst = instrument();
  const options = { venue: 'PAPER', instruments: [inst] };
  let dir: string;
  let file: string;
  let log: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-venue-close-'));
    file = path.join(dir, 'venue.json');
    log = `${file}.log`;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const limitBuy = (id: string, price = '1') =>
    submittedOrder({ instrumentId: inst.id, type: 'LIMIT', price: price as never }, id);

  it('releases the op log on close, and closing again is fine', () => {
    const venue = new PaperVenue(file, options, () => undefined);
    venue.submit(limitBuy('a'), 1);
    expect(fdsOn(log)).toHaveLength(1);
    venue.close();
    expect(fdsOn(log)).toEqual([]);
    expect(() => venue.close()).not.toThrow();
    expect(fdsOn(log)).toEqual([]);
    // Never written: nothing was opened, and it closes all the same.
    const idle = new PaperVenue(path.join(dir, 'idle.json'), options, () => undefined);
    idle.close();
    idle.close();
    expect(existsSync(path.join(dir, 'idle.json.log'))).toBe(false);
  });

  it('refuses every op after close (VENUE_CLOSED), writing and delivering nothing', async () => {
    const events: OrderEvent[] = [];
    const venue = new PaperVenue(file, options, (e) => events.push(e));
    venue.submit(limitBuy('a'), 1);
    venue.close();
    const logBefore = readFileSync(log, 'utf8');
    const stateBefore = venue.state();
    const delivered = events.length;
    const ops: [string, () => void][] = [
      ['submit', () => venue.submit(limitBuy('b'), 2)],
      ['cancel', () => venue.cancel('a', 3)],
      ['bar', () => venue.onBar(bar(1, 1, 0.5, 1))],
    ];
    for (const [op, run] of ops) {
      let thrown: unknown = null;
      try {
        run();
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(KairosError);
      expect((thrown as KairosError).code).toBe('VENUE_CLOSED');
      expect((thrown as KairosError).message).toContain(op);
    }
    expect(readFileSync(log, 'utf8')).toBe(logBefore);
    expect(existsSync(file)).toBe(false);
    expect(venue.state()).toEqual(stateBefore);
    expect(events).toHaveLength(delivered);
    // Its queries still answer from what it holds.
    expect((await venue.orderByClientId('a'))?.status).toBe('OPEN');
  });

  it('reopens to exactly the state it closed with, and goes on from there', () => {
    const first = new PaperVenue(file, options, () => undefined);
    for (let i = 1; i <= 5; i++) first.submit(limitBuy(`o-${i}`, String(i)), i);
    first.cancel('o-2', 6);
    first.onBar(bar(3, 3, 2.5, 3));
    first.close();
    const second = new PaperVenue(file, options, () => undefined);
    expect(second.state()).toEqual(first.state());
    second.submit(limitBuy('o-6'), 7);
    second.close();
    const third = new PaperVenue(file, options, () => undefined);
    expect(third.state()).toEqual(second.state());
    expect(third.state().reports.map((r) => r.clientOrderId)).toContain('o-6');
    third.close();
    expect(fdsOn(log)).toEqual([]);
  });
});
