import { SHARED_ACCOUNT } from '../../../src/system/trading-accounts.js';
import { Topics } from '../../../src/trading/bus/topics.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { btcInstrument } from '../../support/paper-args.js';
import { flatBar, paperAccountsRig } from '../../support/paper-accounts.js';

/**
 * An account handed over (`closeAccount` with `release`: a drain's hand-back, a fair-share move)
 * records and sends the orders being placed before it stops. The WebSocket gateway frames each
 * order event with the order `TradingAccounts.order` finds for it (`ports.order`), and appends
 * nothing when it finds none. The core left `order`'s sight as the hand-over began, so those
 * orders' events (initialized, submitted, accepted) made no frame: a trader with a 201 never saw
 * the order on any instance's WebSocket.
 */
describe('an account handed over: the events of the orders it settles name their orders', () => {
  const inst = btcInstrument();
  const rig = paperAccountsRig('kairos-hand-over-frames-', inst);

  it('every event of an order placed as the hand-over begins finds its order', async () => {
    const accounts = await rig.open();
    await accounts.exclusive(async () => {
      accounts.onBar(flatBar(inst, 0));
      for (const rt of accounts.runtimes()) await rt.core.settle();
    });
    const events: [string, string | undefined][] = [];
    accounts.bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) =>
      events.push([e.kind, accounts.order(e.clientOrderId)?.clientOrderId]),
    );
    // The order is under way (its id looked up in the store) when the hand-over begins: it is
    // made, recorded and sent while the account settles.
    const placed = accounts.runtime(SHARED_ACCOUNT)!.desk.place('user:1', 'k-during-hand-over', {
      instrumentId: inst.id,
      side: 'BUY',
      type: 'LIMIT',
      price: '90',
      quantity: '0.001',
    });
    await accounts.closeAccount(SHARED_ACCOUNT, 'release');
    expect((await placed).created).toBe(true);
    expect(events).toEqual([
      ['OrderInitialized', 'k-during-hand-over'],
      ['OrderSubmitted', 'k-during-hand-over'],
      ['OrderAccepted', 'k-during-hand-over'],
    ]);
    // Closed: its orders are no longer this instance's.
    expect(accounts.order('k-during-hand-over')).toBeUndefined();
  });
});
