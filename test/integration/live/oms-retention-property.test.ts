import fc from 'fast-check';
import { playRun, RUN_INSTRUMENT, runOp, type RunOp } from '../../support/retention-run.js';
import { anyStore } from '../../support/stores.js';

const MINUTE = 60_000;
const op = runOp([4, 2, 2, 4, 3, 2, 2, 1, 1]);

type Store = Awaited<ReturnType<typeof anyStore>>;

/**
 * Plays `ops` as `account` with the OMS's window `retentionMs` (`playRun`). What it came to
 * (client order ids without the account's prefix).
 */
async function play(store: Store, account: string, ops: readonly RunOp[], retentionMs: number) {
  const { core, repo, alerts } = await playRun(store, account, ops, { retentionMs });
  const bare = (line: string) => line.replaceAll(`${account}-`, '');
  return {
    cash: core.ledger.cash('USD').toFixed(),
    position: core.ledger.position(RUN_INSTRUMENT.id).quantity.toFixed(),
    fills: (await repo.fills()).map((f) => bare(`${f.tradeId} ${f.clientOrderId} ${f.quantity}`)),
    orders: (await repo.ordersSince(0)).map((x) =>
      bare(`${x.clientOrderId} ${x.status} ${x.filledQuantity.toFixed()}`),
    ),
    // A released order's reports wait for the store: another order between orders.
    alerts: alerts.map(bare).sort(),
    held: core.memory.orders,
  };
}
describe('the OMS forgetting closed orders changes no outcome', () => {
  let store: Store;
  beforeAll(async () => {
    store = await anyStore();
  });
  afterAll(async () => {
    await store.drop();
  });

  it('random fills, cancels, clock jumps, copies, late trades, reconciliations and restarts end as a run that never releases', async () => {
    let run = 0;
    let releasing = 0;
    let lateFills = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 20, maxLength: 60 }), async (ops) => {
        run++;
        const released = await play(store, `r${run}`, ops, 2 * MINUTE);
        const kept = await play(store, `n${run}`, ops, Number.MAX_SAFE_INTEGER);
        expect({ ...released, held: 0 }).toEqual({ ...kept, held: 0 });
        expect(released.held).toBeLessThanOrEqual(kept.held);
        if (released.held < kept.held) releasing++;
        if (released.fills.some((f) => f.startsWith('L-'))) lateFills++;
      }),
      // 24 runs (40 until 12-07, cut for CI time: more draws of the same property; each rule the
      // draws meet, copies, late trades, reconciliation and restarts after a release, also has a
      // fixed case in oms-retention.test.ts on both dialects). With this seed 16 runs release
      // orders and 13 take late trades of released ones.
      { numRuns: 24, seed: 20261206 },
    );
    // The runs did release orders, and took late trades of released ones.
    expect(releasing).toBeGreaterThanOrEqual(10);
    expect(lateFills).toBeGreaterThanOrEqual(10);
  }, 240_000);
});
