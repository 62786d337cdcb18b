import type { Store } from '../../../src/store/open-store.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { SimulatedExchange } from '../../../src/trading/backtest/simulated-exchange.js';
import { makeOrder } from '../../../src/trading/execution/order-factory.js';
import type { OrderStore } from '../../../src/trading/execution/order-store.js';
import { TradingCore } from '../../../src/trading/live/trading-core.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import { bar, instrument } from '../../support/builders.js';
import { simVenue } from '../../support/paper-trades.js';
import { withOverrides } from '../../support/store-overrides.js';
import { freshStore } from '../../support/stores.js';

const MINUTE = 60_000;
const INST = instrument();
const EVERY = 20;

/** The store, counting the fill rows each read returns. */
function counting(repo: OrderRepository, rows: { n: number }): OrderStore {
  const count = <T>(xs: readonly T[]) => ((rows.n += xs.length), xs);
  const over: Partial<OrderStore> = {
    fills: async (since) => count(await repo.fills(since)) as never,
    fillsOf: async (ids) => count(await repo.fillsOf(ids)) as never,
    storedFills: async (keys) => count(await repo.storedFills(keys)) as never,
    ledgerStart: async (whole) => {
      const s = await repo.ledgerStart(whole);
      count(s.after);
      return s;
    },
  };
  return withOverrides(repo, over);
}

/**
 * `bars` bars of one buy and one sell each (two fills a bar, two strategies) on an account of its
 * own (`acct-<bars>`, in the store the other runs of the dialect wrote to), then a restart: the
 * fill rows the start read, and its cash and position next to a ledger of every fill.
 */
async function rowsReadAtStart(store: Store, bars: number) {
  const accountId = `acct-${bars}`;
  const repo = new OrderRepository(store.db, accountId);
  const rows = { n: 0 };
  const orders = counting(repo, rows);
  let deliver: (e: OrderEvent) => void = () => undefined;
  const sim = new SimulatedExchange({ venue: 'SIM', instruments: [INST] }, (e) => deliver(e));
  let t = MINUTE;
  const open = async () =>
    (
      await TradingCore.open({
        accountId,
        instruments: [INST],
        cash: { USD: '1000000' },
        orders,
        allowShort: true,
        startAt: t,
        ledgerCheckpointFills: EVERY,
        venue: (d) => {
          deliver = d;
          return simVenue(INST, d, sim);
        },
      })
    ).core;
  let core = await open();
  for (let i = 0; i < bars; i++) {
    for (const [side, owner] of [
      ['BUY', 's'],
      ['SELL', 't'],
    ] as const) {
      const { order } = makeOrder({ side, quantity: String(1 + (i % 3)) }, INST, {
        clientOrderId: `k${bars}-${i}-${side}`,
        accountId,
        strategyId: owner,
        ts: t,
      });
      core.exec.add(order);
      core.submit(order, t);
    }
    core.onBar(bar(100 + (i % 7), 110, 90, 100, t));
    t += MINUTE;
    await core.settle();
  }
  const before = core.ledger.state();
  rows.n = 0;
  core = await open();
  expect(core.ledger.state()).toEqual(before);
  return { rows: rows.n, diagnostic: core.startFillsRead, stored: (await repo.fills()).length };
}

describe.each(['pglite', 'postgres'] as const)('fill rows read at start (%s)', (kind) => {
  // One store for the three histories (each its own account): a store is ~1 s of CPU on PGlite.
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(kind);
  });
  afterAll(async () => {
    await store?.drop();
  });

  it('do not grow with the history: the fills after the last checkpoint only', async () => {
    const reads = [];
    for (const bars of [15, 60, 240]) reads.push(await rowsReadAtStart(store, bars));
    // A few rows after ~30, ~120 and ~480 stored fills (a checkpoint every 20 fills booked: those
    // since the last one); before checkpoints, every stored fill.
    expect(reads[2]!.stored).toBeGreaterThan(400);
    for (const r of reads) expect(r.rows).toBeLessThanOrEqual(2 * EVERY);
    // (The rest: the trade keys of the orders restored, closed within the window.)
    for (const r of reads) expect(r.diagnostic).toBeLessThanOrEqual(r.rows);
  }, 120_000);
});
