import path from 'node:path';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { defineStrategy } from '../../../src/trading/strategy/index.js';
import { openBars } from '../../../src/trading/venues/replay/open-data.js';
import { crashRig } from '../../support/crash-harness.js';
import { btcInstrument, btcSlice } from '../../support/paper-args.js';
import { anyStore } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';

/** Buys 1 at market every bar while it has no open order; remembers every rejection it hears. */
const buyer = defineStrategy({
  name: 'buyer',
  params: {},
  init: () => ({ rejected: [] as string[] }),
  onBar(ctx) {
    if (ctx.openOrders().length === 0) ctx.buy('1');
  },
  onOrderEvent(ctx, e) {
    if (e.kind === 'OrderRejected')
      ctx.state.rejected = [...ctx.state.rejected, `${e.clientOrderId} ${e.reason}`];
  },
});

describe('an order committed but never sent, on a live feed (the node does not own time)', () => {
  let store: Awaited<ReturnType<typeof anyStore>>;
  let bars: Bar[];
  beforeAll(async () => {
    store = await anyStore();
    const dir = tempDir('kairos-never-sent-');
    bars = [];
    for await (const b of openBars(btcSlice(path.join(dir, 'btc.json'), 6), {
      instrumentId: 'BTC/X',
    }))
      bars.push(...b);
  });
  afterAll(async () => {
    await store.drop();
  });

  it('is closed NOT_AT_VENUE, never sent late; the strategy is told, and its next order takes a new id', async () => {
    const rig = crashRig({
      store,
      account: 'live',
      instrument: btcInstrument(),
      strategy: buyer,
      params: {},
      cash: '1000',
      bars,
      ownsTime: false,
    });
    // Killed right before the third order's send: it is committed, the venue never sees it.
    expect((await rig.run(Infinity, 3)).finished).toBe(false);
    const r = await rig.run();
    expect(r.finished).toBe(true);
    expect(r.state).toEqual({ rejected: ['buyer-live-3 NOT_AT_VENUE'] });
    const { orders } = await rig.outcome();
    expect(orders.find((o) => o.startsWith('#3 '))).toMatch(/ REJECTED /);
    // The orders after it have their own ids: none was skipped as "already made".
    expect(orders.filter((o) => / FILLED /.test(o)).length).toBeGreaterThanOrEqual(3);
    expect(new Set(orders.map((o) => o.split(' ')[0])).size).toBe(orders.length);
  });
});
