import fc from 'fast-check';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { SimulatedExchange } from '../../../src/trading/backtest/simulated-exchange.js';
import { Endpoints } from '../../../src/trading/bus/topics.js';
import { makeOrder } from '../../../src/trading/execution/order-factory.js';
import { TradingCore } from '../../../src/trading/live/trading-core.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { Fill } from '../../../src/trading/model/fill.js';
import { orderRef, type OrderEvent } from '../../../src/trading/model/order-events.js';
import { bar, fill, instrument } from '../../support/builders.js';
import { simVenue } from '../../support/paper-trades.js';
import { freshStore } from '../../support/stores.js';

const MINUTE = 60_000;
const INST = instrument();

/** One step of a run; `pick` chooses among what the run has then (the same in both runs). */
type Op =
  | { readonly kind: 'market'; readonly buy: boolean }
  | { readonly kind: 'limit' }
  | { readonly kind: 'cancel'; readonly pick: number }
  | { readonly kind: 'bar' }
  | { readonly kind: 'jump'; readonly minutes: number }
  | { readonly kind: 'copy'; readonly pick: number }
  | { readonly kind: 'late'; readonly pick: number }
  | { readonly kind: 'reconcile' }
  | { readonly kind: 'restart' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('market' as const), buy: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('limit' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(50) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('bar' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('jump' as const),
      minutes: fc.integer({ min: 0, max: 15 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('copy' as const), pick: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('late' as const), pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconcile' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
);

type Store = Awaited<ReturnType<typeof freshStore>>;

/**
 * Plays `ops` as `account` (its own orders and fills in `store`) with the OMS's window
 * `retentionMs`: a simulated venue that outlives the node (restarts open a new core on the same
 * store and venue), its history read whole by every reconciliation, plus the late trades the run
 * adds. What it came to (client order ids without the account's prefix).
 */
async function play(store: Store, account: string, ops: readonly Op[], retentionMs: number) {
  {
    const orders = new OrderRepository(store.db, account);
    const alerts: string[] = [];
    let deliver: (e: OrderEvent) => void = () => undefined;
    const sim = new SimulatedExchange({ venue: 'SIM', instruments: [INST] }, (e) => deliver(e));
    const late: Fill[] = [];
    let t = MINUTE;
    let n = 0;
    const open = async () => {
      const { core } = await TradingCore.open({
        accountId: account,
        instruments: [INST],
        cash: { USD: '1000000' },
        orders,
        allowShort: true,
        startAt: t,
        onAlert: (a: Alert) => alerts.push(`${a.code}: ${a.message}`),
        closedOrderRetentionMs: retentionMs,
        venue: (d) => {
          deliver = d;
          const v = simVenue(INST, d, sim);
          return {
            ...v,
            tradesSince: async () => [...(await sim.tradesSince(-Infinity)), ...late],
          };
        },
      });
      return core;
    };
    let core = await open();
    const place = (req: Parameters<typeof makeOrder>[0]) => {
      const { order } = makeOrder(req, INST, {
        clientOrderId: `${account}-k-${++n}`,
        accountId: account,
        strategyId: 's',
        ts: t,
      });
      core.exec.add(order);
      core.submit(order, t);
    };
    for (const o of ops) {
      switch (o.kind) {
        case 'market':
          place({ side: o.buy ? 'BUY' : 'SELL', quantity: '1' });
          break;
        case 'limit':
          place({ side: 'BUY', quantity: '2', price: '1' });
          break;
        case 'cancel': {
          const working = core.exec.openOrders();
          const w = working[o.pick % Math.max(1, working.length)];
          if (w)
            core.bus.send(Endpoints.risk, {
              kind: 'CancelOrder',
              clientOrderId: w.clientOrderId,
              strategyId: 's',
              ts: t,
            });
          break;
        }
        case 'bar':
          core.onBar(bar(100, 101, 99, 100, t));
          t += MINUTE;
          break;
        case 'jump':
          t += o.minutes * MINUTE;
          core.advanceTo(t);
          break;
        case 'copy': {
          const fills = await orders.fills();
          const f = fills[o.pick % Math.max(1, fills.length)];
          const of = f && (await orders.order(f.clientOrderId));
          if (f && of) deliver({ kind: 'OrderFilled', ...orderRef(of), ts: t, fill: f });
          break;
        }
        case 'late': {
          const closed = (await orders.ordersSince(0)).filter(
            (x) => x.status === 'CANCELED' && x.filledQuantity.eq(0),
          );
          const c = closed[o.pick % Math.max(1, closed.length)];
          if (!c) break;
          const f: Fill = {
            ...fill(c.side, '1', '1', '0', `L-${late.length}`),
            accountId: account,
            clientOrderId: c.clientOrderId,
            ts: c.updatedAt,
          };
          late.push(f);
          // Half of them reported on the stream (then read again by reconciliation).
          if (late.length % 2 === 0)
            deliver({ kind: 'OrderFilled', ...orderRef(c), ts: t, fill: f });
          break;
        }
        case 'reconcile':
          await core.reconcile();
          break;
        case 'restart':
          await core.settle();
          core = await open();
          core.advanceTo(t);
          break;
      }
      await core.settle();
    }
    await core.reconcile();
    const bare = (line: string) => line.replaceAll(`${account}-`, '');
    return {
      cash: core.ledger.cash('USD').toFixed(),
      position: core.ledger.position(INST.id).quantity.toFixed(),
      fills: (await orders.fills()).map((f) =>
        bare(`${f.tradeId} ${f.clientOrderId} ${f.quantity}`),
      ),
      orders: (await orders.ordersSince(0)).map((x) =>
        bare(`${x.clientOrderId} ${x.status} ${x.filledQuantity.toFixed()}`),
      ),
      // A released order's reports wait for the store: another order between orders.
      alerts: alerts.map(bare).sort(),
      held: core.memory.orders,
    };
  }
}

describe('the OMS forgetting closed orders changes no outcome', () => {
  let store: Store;
  beforeAll(async () => {
    store = await freshStore('pglite');
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
      { numRuns: 40, seed: 20261206 },
    );
    // The runs did release orders, and took late trades of released ones.
    expect(releasing).toBeGreaterThanOrEqual(10);
    expect(lateFills).toBeGreaterThanOrEqual(10);
  }, 240_000);
});
