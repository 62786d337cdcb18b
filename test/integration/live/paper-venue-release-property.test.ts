import fc from 'fast-check';
import { playRun, RUN_INSTRUMENT, runOp, type RunOp } from '../../support/retention-run.js';
import { anyStore } from '../../support/stores.js';

const MINUTE = 60_000;
// Many bars and clock jumps: the venue's 5-minute window passes again and again.
const op = runOp([5, 2, 2, 6, 3, 2, 2, 1, 2], true);

type Store = Awaited<ReturnType<typeof anyStore>>;

/**
 * Plays `ops` (`playRun`) on a venue whose closed-report window is 5 minutes of market time, told
 * what the store holds (`confirmStored`) or not. What it came to, and what the venue held.
 */
async function play(store: Store, account: string, ops: readonly RunOp[], confirm: boolean) {
  const { core, repo, alerts, sim, maxHeld, now } = await playRun(store, account, ops, {
    retentionMs: 2 * MINUTE,
    venue: { closedRetentionMs: 5 * MINUTE, confirmStored: confirm },
  });
  const bare = (line: string) => line.replaceAll(`${account}-`, '');
  return {
    outcome: {
      ledger: core.ledger.state(),
      position: core.ledger.position(RUN_INSTRUMENT.id).quantity.toFixed(),
      fills: (await repo.fills()).map((f) =>
        bare(`${f.tradeId} ${f.clientOrderId} ${f.quantity} ${f.price}`),
      ),
      orders: (await repo.ordersSince(0)).map((x) =>
        bare(`${x.clientOrderId} ${x.status} ${x.reason} ${x.filledQuantity.toFixed()}`),
      ),
      alerts: alerts.map(bare).sort(),
      // What the venue answers within its window: the trades, and every order's full report.
      windowTrades: (await sim.tradesSince(now - 5 * MINUTE)).map((f) =>
        bare(`${f.tradeId} ${f.clientOrderId} ${f.ts}`),
      ),
      windowReports: (
        await Promise.all(
          (await repo.ordersSince(0)).map((o) => sim.orderByClientId(o.clientOrderId)),
        )
      )
        .filter((r) => r !== null && r.venueOrderId !== '')
        .map((r) => bare(`${r!.clientOrderId} ${r!.status} ${r!.filledQuantity.toFixed()}`)),
    },
    held: sim.held,
    maxHeld,
  };
}

// One store for both blocks: every play is an account of its own.
let store: Store;
beforeAll(async () => {
  store = await anyStore();
});
afterAll(async () => {
  await store.drop();
});

describe('the paper venue releasing what the store confirmed', () => {
  it('random runs (restarts, copies, late trades, reconciliations) end as runs whose venue keeps everything', async () => {
    let run = 0;
    let lighter = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 30, maxLength: 80 }), async (ops) => {
        run++;
        const released = await play(store, `r${run}`, ops, true);
        const kept = await play(store, `k${run}`, ops, false);
        expect(released.outcome).toEqual(kept.outcome);
        expect(released.maxHeld).toBeLessThanOrEqual(kept.maxHeld);
        expect(released.held.tombstones).toBeLessThanOrEqual(kept.held.tombstones);
        expect(released.held.trades).toBeLessThanOrEqual(kept.held.trades);
        if (
          released.held.tombstones + released.held.trades <
          kept.held.tombstones + kept.held.trades
        )
          lighter++;
      }),
      { numRuns: 12, seed: 20261207 },
    );
    // The venue did release what it would have kept.
    expect(lighter).toBeGreaterThanOrEqual(6);
  }, 240_000);
});

describe('what the paper venue holds', () => {
  /** `rounds` rounds of a buy, a resting buy canceled, a sell and three bars. */
  const rounds = (n: number): RunOp[] =>
    Array.from({ length: n }, (_, i): RunOp[] => [
      { kind: 'market', buy: true, owner: 's' },
      { kind: 'limit' },
      { kind: 'bar', price: 100 + (i % 5) },
      { kind: 'cancel', pick: 0 },
      { kind: 'market', buy: false, owner: 't' },
      { kind: 'bar', price: 100 },
      { kind: 'bar', price: 101 },
    ]).flat();

  it('stays bounded by its window when the store confirms, and grows with the run when not', async () => {
    const held: Record<'released' | 'kept', number[]> = { released: [], kept: [] };
    // 10 and 40 rounds (15 and 60 until 12-07, cut for CI time): the window is reached within
    // two rounds, and four times the rounds still tell a bound from growth (held 10 and 10 when
    // told, 48 and 198 when not).
    for (const n of [10, 40]) {
      const released = await play(store, `a${n}`, rounds(n), true);
      const kept = await play(store, `b${n}`, rounds(n), false);
      expect(released.outcome).toEqual(kept.outcome);
      held.released.push(released.maxHeld);
      held.kept.push(kept.maxHeld);
    }
    // A 5-minute window is under two rounds (3 bars each): a few orders' reports and trades.
    expect(held.released[1]).toBe(held.released[0]);
    expect(held.released[1]).toBeLessThanOrEqual(20);
    // Without: a tombstone of every order and every trade, four times as many after four times
    // the rounds.
    expect(held.kept[1]).toBeGreaterThan(3 * held.kept[0]!);
  }, 120_000);
});
