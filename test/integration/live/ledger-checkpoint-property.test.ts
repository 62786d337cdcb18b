import fc from 'fast-check';
import type { OrderRepository } from '../../../src/store/order-repository.js';
import type { OrderStore } from '../../../src/trading/execution/order-store.js';
import type { TradingCore } from '../../../src/trading/live/trading-core.js';
import { Ledger } from '../../../src/trading/portfolio/ledger.js';
import {
  playRun,
  RUN_CASH,
  RUN_INSTRUMENT,
  runOp,
  type RunOp,
} from '../../support/retention-run.js';
import { withOverrides } from '../../support/store-overrides.js';
import { anyStore } from '../../support/stores.js';

const MINUTE = 60_000;
// Market orders of two owners at random bar prices; restarts often.
const op = runOp([6, 1, 1, 4, 2, 2, 1, 1, 3], true);

type Store = Awaited<ReturnType<typeof anyStore>>;

/** The old start-up read: every stored fill, in the store's order, booked with its order's owner. */
async function wholeRead(orders: OrderRepository): Promise<Ledger> {
  const ledger = new Ledger(RUN_CASH);
  for (const f of await orders.fills()) {
    const o = await orders.order(f.clientOrderId);
    ledger.applyFill(f, RUN_INSTRUMENT, o?.strategyId);
  }
  return ledger;
}

/** The store as start-up read it before checkpoints: every fill, no checkpoint kept. */
const wholeReading = (repo: OrderRepository): OrderStore =>
  withOverrides(repo, {
    ledgerStart: () => repo.ledgerStart(true),
    saveLedgerCheckpoint: () => Promise.resolve(),
  });

/**
 * Plays `ops` as `account` (`playRun`; late trades stamped when their order closed: behind any
 * checkpoint since): with `every` set, the core keeps ledger checkpoints every `every` fills; with
 * null, every start reads every stored fill (`ledgerStart(true)`, as before checkpoints). What it
 * came to, with the ledger right after each start, and the fill rows the starts read.
 */
async function play(store: Store, account: string, ops: readonly RunOp[], every: number | null) {
  const starts: unknown[] = [];
  let read = 0;
  let compared = 0;
  const box: { repo?: OrderRepository; stored?: number } = {};
  const opened = async (core: TradingCore) => {
    read += core.startFillsRead;
    const state = core.ledger.state();
    starts.push(state);
    // As the old start-up read every fill, to the last decimal, lot and owner (unless recovery
    // booked a trade the venue reported meanwhile: after them, as the run that reads every fill).
    if ((await box.repo!.fills()).length === box.stored) {
      expect(state).toEqual((await wholeRead(box.repo!)).state());
      compared++;
    }
  };
  const { repo, alerts, reopen, core } = await playRun(store, account, ops, {
    retentionMs: 2 * MINUTE,
    late: { price: '3', fee: '0.01' },
    ...(every === null ? {} : { ledgerCheckpointFills: every }),
    orders: (r) => {
      box.repo = r;
      const store = every === null ? wholeReading(r) : r;
      // The fills stored before each start (a start compares only when recovery booked none).
      return withOverrides(store, {
        restorable: async (q) => {
          box.stored = (await r.fills()).length;
          return store.restorable(q);
        },
      });
    },
    opened,
  });
  await core.settle();
  await reopen();
  const bare = (line: string) => line.replaceAll(`${account}-`, '');
  return {
    outcome: {
      ledger: starts.at(-1),
      starts,
      fills: (await repo.fills()).map((f) => bare(`${f.tradeId} ${f.clientOrderId} ${f.quantity}`)),
      orders: (await repo.ordersSince(0)).map((x) =>
        bare(`${x.clientOrderId} ${x.status} ${x.filledQuantity.toFixed()}`),
      ),
      alerts: alerts.map(bare).sort(),
    },
    read,
    compared,
  };
}

describe('start-up from a ledger checkpoint', () => {
  let store: Store;
  beforeAll(async () => {
    store = await anyStore();
  });
  afterAll(async () => {
    await store.drop();
  });

  it('random histories (owners, copies, late trades behind the checkpoint, restarts) end as runs that read every fill at start', async () => {
    let run = 0;
    let fewer = 0;
    let lateFills = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 20, maxLength: 70 }), async (ops) => {
        run++;
        const checkpointed = await play(store, `c${run}`, ops, 2);
        const whole = await play(store, `w${run}`, ops, null);
        expect(checkpointed.outcome).toEqual(whole.outcome);
        expect(checkpointed.compared).toBeGreaterThanOrEqual(1);
        expect(checkpointed.read).toBeLessThanOrEqual(whole.read);
        if (checkpointed.read < whole.read) fewer++;
        if (checkpointed.outcome.fills.some((f) => f.startsWith('L-'))) lateFills++;
      }),
      { numRuns: 16, seed: 20261207 },
    );
    // Checkpoints were used, and late trades stored behind them.
    expect(fewer).toBeGreaterThanOrEqual(8);
    expect(lateFills).toBeGreaterThanOrEqual(3);
  }, 240_000);
});
