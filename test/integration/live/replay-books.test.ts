import { OrderRepository } from '../../../src/store/order-repository.js';
import { SimulatedExchange } from '../../../src/trading/backtest/simulated-exchange.js';
import { makeOrder } from '../../../src/trading/execution/order-factory.js';
import { ReplayedBar } from '../../../src/trading/live/replayed-bar.js';
import { TradingCore } from '../../../src/trading/live/trading-core.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { Ledger } from '../../../src/trading/portfolio/ledger.js';
import { bar, instrument } from '../../support/builders.js';
import { simVenue } from '../../support/paper-trades.js';
import { anyStore } from '../../support/stores.js';

const MINUTE = 60_000;
const INST = instrument();
const CASH = { USD: '1000000' };
/** The strategy's last snapshot: the bar after it is the one played again. */
const SNAPSHOT = 3 * MINUTE;

/**
 * An account whose venue (the simulated exchange) fills market orders on the next bar:
 * `s` buys 1 before the snapshot and 2 after it (its order of the replayed bar, filled before the
 * "crash"), `t` sells 1 after it. Then the core opens again as a node replaying that bar does.
 */
async function replayedBar(store: Awaited<ReturnType<typeof anyStore>>, checkpointEvery: number) {
  const repo = new OrderRepository(store.db, 'acct');
  let deliver: (e: OrderEvent) => void = () => undefined;
  const sim = new SimulatedExchange({ venue: 'SIM', instruments: [INST] }, (e) => deliver(e));
  const config = (startAt: number) => ({
    accountId: 'acct',
    instruments: [INST],
    cash: CASH,
    orders: repo,
    allowShort: true,
    startAt,
    ledgerCheckpointFills: checkpointEvery,
    venue: (d: (e: OrderEvent) => void) => {
      deliver = d;
      return simVenue(INST, d, sim);
    },
  });
  const trade = async (
    core: TradingCore,
    id: string,
    side: 'BUY' | 'SELL',
    qty: string,
    t: number,
  ) => {
    const owner = id.split('-')[0]!;
    const { order } = makeOrder({ side, quantity: qty }, INST, {
      clientOrderId: id,
      accountId: 'acct',
      strategyId: owner,
      ts: t,
    });
    core.exec.add(order);
    core.submit(order, t);
    await core.settle(); // committed, then sent
    core.onBar(bar(100, 110, 90, 100, t + 1_000)); // filled at its open
    await core.settle();
    expect(core.exec.order(id)?.status).toBe('FILLED');
  };
  const first = (await TradingCore.open(config(MINUTE / 2))).core;
  first.onBar(bar(100, 110, 90, 100, MINUTE / 2)); // a price to size orders on
  // Each filled a second after it is sent, before anything else happens (a venue's market order).
  await trade(first, 's-1', 'BUY', '1', MINUTE); // before the snapshot
  await trade(first, 's-2', 'BUY', '2', SNAPSHOT + 20_000); // the replayed bar's order
  await trade(first, 't-1', 'SELL', '1', SNAPSHOT + 90_000); // another strategy's, in that bar
  const { core, redo } = await TradingCore.open(config(SNAPSHOT), SNAPSHOT, {
    strategyId: 's',
    replays: true,
  });
  /** The books of every stored fill but those of `s-2`: what `s` saw when it first ran the bar. */
  const without = async () => {
    const ledger = new Ledger(CASH);
    for (const { fill, owner } of (await repo.ledgerStart(true)).after)
      if (fill.clientOrderId !== 's-2')
        ledger.applyFill(fill, core.instrumentOf(fill.instrumentId), owner);
    return ledger.state();
  };
  return { repo, core, redo, trade, without };
}

describe('a replayed bar’s books without its own fills (RedoOrders.before)', () => {
  let store: Awaited<ReturnType<typeof anyStore>>;
  beforeEach(async () => {
    store = await anyStore();
  });
  afterEach(async () => {
    await store.drop();
  });

  it('are exact when the ledger checkpoint’s cut lies inside the replayed bar (past the snapshot)', async () => {
    const { repo, core, redo, without } = await replayedBar(store, 1);
    // A checkpoint on every fill: its cut is `s-2`'s fill, after the snapshot.
    const cut = (await repo.ledgerStart()).checkpoint?.through.ts;
    expect(cut).toBeGreaterThan(SNAPSHOT);
    expect(redo.made.map((o) => o.clientOrderId)).toEqual(['s-2']);
    expect(redo.before?.state()).toEqual(await without());
    const replayed = new ReplayedBar(core, redo, true, () => undefined);
    expect(replayed.position('s', INST.id).quantity.toFixed()).toBe('1');
    expect(core.ledger.ownPosition('s', INST.id).quantity.toFixed()).toBe('3');
    expect(replayed.cash('USD').toFixed()).toBe(redo.before!.cash('USD').toFixed());
    // The core's own books are those of every fill all the same.
    const every = new Ledger(CASH);
    for (const { fill, owner } of (await repo.ledgerStart(true)).after)
      every.applyFill(fill, core.instrumentOf(fill.instrumentId), owner);
    expect(core.ledger.state()).toEqual(every.state());
  });

  it('are kept up with other fills during the replayed bar, then dropped: no fill booked there after it', async () => {
    const { core, redo, trade, without } = await replayedBar(store, 1_000);
    const replayed = new ReplayedBar(core, redo, true, () => undefined);
    expect(core.replaying).toBe(true);
    core.onBar(bar(100, 110, 90, 100, SNAPSHOT + 200_000)); // a price again
    await trade(core, 't-2', 'SELL', '1', SNAPSHOT + 300_000); // during the replayed bar
    expect(redo.before?.state()).toEqual(await without());
    replayed.end(SNAPSHOT + 400_000);
    expect(core.replaying).toBe(false);
    const kept = JSON.stringify(redo.before!.state());
    await trade(core, 't-3', 'SELL', '1', SNAPSHOT + 500_000);
    await trade(core, 's-3', 'BUY', '1', SNAPSHOT + 600_000);
    expect(JSON.stringify(redo.before!.state())).toBe(kept);
    // The strategy reads the core's books again.
    expect(replayed.position('s', INST.id).quantity.toFixed()).toBe('4');
    expect(replayed.cash('USD').toFixed()).toBe(core.ledger.cash('USD').toFixed());
  });
});
