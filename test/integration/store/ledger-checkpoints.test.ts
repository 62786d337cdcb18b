import { money, price, quantity } from '../../../src/trading/core/money.js';
import { applyOrderEvent } from '../../../src/trading/model/apply-order-event.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { orderRef } from '../../../src/trading/model/order-events.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { Ledger } from '../../../src/trading/portfolio/ledger.js';
import { newOrder } from '../../support/builders.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

describe.each(DIALECTS)('ledger checkpoints on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store.drop();
  });

  /** An order of `owner` filled by one trade `tradeId` at `ts`. */
  async function filled(
    repo: OrderRepository,
    id: string,
    owner: string,
    tradeId: string,
    ts: number,
  ) {
    const order = newOrder(
      { accountId: repo.accountId, strategyId: owner, quantity: quantity('1') },
      id,
    );
    const init: OrderEvent = { kind: 'OrderInitialized', ...orderRef(order), ts, order };
    const fill: OrderEvent = {
      kind: 'OrderFilled',
      ...orderRef(order),
      ts,
      fill: {
        venue: 'SIM',
        tradeId,
        accountId: repo.accountId,
        clientOrderId: id,
        instrumentId: order.instrumentId,
        side: 'BUY',
        price: price('10'),
        quantity: quantity('1'),
        fee: money('0', 'USD'),
        liquidity: 'TAKER',
        ts,
      },
    };
    const items: { after: typeof order; event: OrderEvent }[] = [{ after: order, event: init }];
    for (const e of [
      { kind: 'OrderSubmitted', ...orderRef(order), ts },
      { kind: 'OrderAccepted', ...orderRef(order), ts, venueOrderId: `v-${id}` },
      fill,
    ] as OrderEvent[])
      items.push({ after: applyOrderEvent(items.at(-1)!.after, e), event: e });
    await repo.commitBatch(items);
  }

  it('answers the fills after the cut with their owners; every fill once one is stored behind the cut', async () => {
    const repo = new OrderRepository(store.db, 'a');
    for (let i = 1; i <= 4; i++) await filled(repo, `a-${i}`, i % 2 ? 's' : 't', `T${i}`, i * 10);
    const none = await repo.ledgerStart();
    expect(none.checkpoint).toBeNull();
    expect(none.after.map((f) => `${f.fill.tradeId} ${f.owner}`)).toEqual([
      'T1 s',
      'T2 t',
      'T3 s',
      'T4 t',
    ]);
    const state = new Ledger({ USD: '100' }).state();
    await repo.saveLedgerCheckpoint({
      through: { ts: 20, tradeId: 'T2', venue: 'SIM' },
      fills: 2,
      state,
    });
    const after = await repo.ledgerStart();
    expect(after.checkpoint).toEqual({
      through: { ts: 20, tradeId: 'T2', venue: 'SIM' },
      fills: 2,
      state,
    });
    expect(after.after.map((f) => f.fill.tradeId)).toEqual(['T3', 'T4']);
    // A checkpoint with an earlier cut does not replace it; `whole` reads every fill.
    await repo.saveLedgerCheckpoint({
      through: { ts: 10, tradeId: 'T1', venue: 'SIM' },
      fills: 1,
      state,
    });
    expect((await repo.ledgerStart()).checkpoint?.fills).toBe(2);
    expect((await repo.ledgerStart(true)).after).toHaveLength(4);
    // A late trade stamped behind the cut: the checkpoint no longer covers its count.
    await filled(repo, 'a-late', 's', 'T0', 15);
    const stale = await repo.ledgerStart();
    expect(stale.checkpoint).toBeNull();
    expect(stale.after.map((f) => f.fill.tradeId)).toEqual(['T1', 'T0', 'T2', 'T3', 'T4']);
    // Another account's checkpoint and fills are its own.
    const other = await new OrderRepository(store.db, 'b').ledgerStart();
    expect(other).toEqual({ checkpoint: null, after: [] });
  });

  it('refuses a state jsonb cannot keep as it is, and keeps the checkpoint before', async () => {
    const repo = new OrderRepository(store.db, 'c');
    const state = { ...new Ledger({ USD: '1' }).state(), soleOwner: 'bad\u0000owner' };
    await expect(
      repo.saveLedgerCheckpoint({
        through: { ts: 1, tradeId: 'x', venue: 'SIM' },
        fills: 0,
        state,
      }),
    ).rejects.toThrow('LEDGER_CHECKPOINT_UNSTORABLE');
    expect((await repo.ledgerStart()).checkpoint).toBeNull();
  });
});
