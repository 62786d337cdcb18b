import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { KairosError } from '../../../src/trading/core/errors.js';
import { TradingCore } from '../../../src/trading/live/trading-core.js';
import { TradingDesk } from '../../../src/trading/live/trading-desk.js';
import { PaperVenue } from '../../../src/trading/venues/paper/paper-venue.js';
import { btcInstrument } from '../../support/paper-args.js';
import { anyStore } from '../../support/stores.js';

/**
 * Found by the failover test (issue 16): an owner paused in the middle of an order's journal
 * write lost its lease; on SIGCONT the write failed (`LEASE_LOST`, nothing stored) and the
 * client, told 503, retried with its key, but the retry reached the same owner before it noticed
 * the loss and was answered 200 with the order from memory: an acknowledged order that no store
 * holds. An order whose write failed is never answered from memory.
 */
describe('the desk of a core whose journal lost its lease', () => {
  const inst = btcInstrument();
  let dir: string;
  let store: Awaited<ReturnType<typeof anyStore>>;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kairos-desk-lost-'));
    store = await anyStore();
  });
  afterAll(async () => {
    await store.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a retry of the order it failed to store, as it refused the order', async () => {
    let lost = false;
    const orders = new OrderRepository(store.db, 'desk', Date.now, async () => {
      if (lost) throw new KairosError('LEASE_LOST', 'lease account:desk taken');
    });
    const { core } = await TradingCore.open({
      accountId: 'desk',
      instruments: [inst],
      cash: { [inst.quote]: '1000' },
      orders,
      venue: (deliver) =>
        new PaperVenue(
          path.join(dir, 'venue.json'),
          { venue: 'PAPER', instruments: [inst] },
          deliver,
        ),
    });
    const desk = new TradingDesk(core, orders);
    const req = {
      instrumentId: inst.id,
      side: 'BUY' as const,
      type: 'LIMIT' as const,
      price: '1',
      quantity: '0.001',
    };
    expect((await desk.place('user:u', 'k-1', req)).created).toBe(true);

    lost = true;
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'answered',
        (e: unknown) => (e as { code?: string }).code,
      );
    expect(await code(desk.place('user:u', 'k-2', req))).toBe('LEASE_LOST');
    // The retry with the same key: the order is still in the core's memory, never stored.
    expect(core.exec.order('k-2')).toBeDefined();
    expect(await code(desk.place('user:u', 'k-2', req))).toBe('LEASE_LOST');
    expect(await orders.order('k-2')).toBeUndefined();
    // What was stored before is still answered, from the store, by any owner.
    expect(await new OrderRepository(store.db, 'desk').order('k-1')).not.toBeNull();
  });
});
