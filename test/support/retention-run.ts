import fc from 'fast-check';
import { OrderRepository } from '../../src/store/order-repository.js';
import { SimulatedExchange } from '../../src/trading/backtest/simulated-exchange.js';
import { Endpoints } from '../../src/trading/bus/topics.js';
import { makeOrder } from '../../src/trading/execution/order-factory.js';
import type { OrderStore } from '../../src/trading/execution/order-store.js';
import { TradingCore } from '../../src/trading/live/trading-core.js';
import type { Alert } from '../../src/trading/model/alert.js';
import type { Fill } from '../../src/trading/model/fill.js';
import type { OrderEvent } from '../../src/trading/model/order-events.js';
import { bar, instrument } from './builders.js';
import { simVenue } from './paper-trades.js';
import { copyOfStoredFill, lateTradeOfCanceled } from './stored-trade-ops.js';
import type { freshStore } from './stores.js';

const MINUTE = 60_000;
export const RUN_INSTRUMENT = instrument();
export const RUN_CASH = { USD: '1000000' };

/** One step of a run; `pick` chooses among what the run has then (the same in both runs). */
export type RunOp =
  | { readonly kind: 'market'; readonly buy: boolean; readonly owner?: string }
  | { readonly kind: 'limit' }
  | { readonly kind: 'cancel'; readonly pick: number }
  | { readonly kind: 'bar'; readonly price?: number }
  | { readonly kind: 'jump'; readonly minutes: number }
  | { readonly kind: 'copy'; readonly pick: number }
  | { readonly kind: 'late'; readonly pick: number }
  | { readonly kind: 'reconcile' }
  | { readonly kind: 'restart' };

/**
 * Random steps with these weights (market, limit, cancel, bar, jump, copy, late, reconcile,
 * restart); `varied`: market orders of two owners and bars at random prices.
 *
 * @example
 * fc.array(runOp([4, 2, 2, 4, 3, 2, 2, 1, 1]), { maxLength: 60 });
 */
export function runOp(weights: readonly number[], varied = false): fc.Arbitrary<RunOp> {
  const [market, limit, cancel, barW, jump, copy, late, reconcile, restart] = weights;
  const constant = <K extends RunOp['kind']>(kind: K) => fc.constant(kind);
  return fc.oneof(
    {
      weight: market!,
      arbitrary: varied
        ? fc.record({
            kind: constant('market'),
            buy: fc.boolean(),
            owner: fc.constantFrom('s', 't'),
          })
        : fc.record({ kind: constant('market'), buy: fc.boolean() }),
    },
    { weight: limit!, arbitrary: fc.record({ kind: constant('limit') }) },
    { weight: cancel!, arbitrary: fc.record({ kind: constant('cancel'), pick: fc.nat(50) }) },
    {
      weight: barW!,
      arbitrary: varied
        ? fc.record({ kind: constant('bar'), price: fc.integer({ min: 90, max: 110 }) })
        : fc.record({ kind: constant('bar') }),
    },
    {
      weight: jump!,
      arbitrary: fc.record({ kind: constant('jump'), minutes: fc.integer({ min: 0, max: 15 }) }),
    },
    { weight: copy!, arbitrary: fc.record({ kind: constant('copy'), pick: fc.nat(50) }) },
    { weight: late!, arbitrary: fc.record({ kind: constant('late'), pick: fc.nat(50) }) },
    { weight: reconcile!, arbitrary: fc.record({ kind: constant('reconcile') }) },
    { weight: restart!, arbitrary: fc.record({ kind: constant('restart') }) },
  );
}

export interface RunOptions {
  /** The OMS's window. */
  readonly retentionMs: number;
  readonly ledgerCheckpointFills?: number;
  /** The store the cores use (default: the account's repository). */
  readonly orders?: (repo: OrderRepository) => OrderStore;
  /** Price and fee of the late trades. */
  readonly late?: { readonly price: string; readonly fee: string };
  /** The venue's closed-report window (default its 7 days) and whether it hears `confirmStored`. */
  readonly venue?: { readonly closedRetentionMs: number; readonly confirmStored: boolean };
  /** Called with each core opened, before the run goes on. */
  readonly opened?: (core: TradingCore) => Promise<void>;
}

/**
 * Plays `ops` as `account` (its own orders and fills in `store`): a simulated venue that outlives
 * the node (restarts open a new core on the same store and venue), its history read whole by
 * every reconciliation, plus the late trades the run adds (stamped when their order closed; half
 * of them reported on the stream too). Ends with a reconciliation; answers the last core, the
 * repository, the alerts (`code: message`) and a way to open a core again.
 */
export async function playRun(
  store: Awaited<ReturnType<typeof freshStore>>,
  account: string,
  ops: readonly RunOp[],
  opts: RunOptions,
) {
  const INST = RUN_INSTRUMENT;
  const repo = new OrderRepository(store.db, account);
  const orders = opts.orders?.(repo) ?? repo;
  const alerts: string[] = [];
  let deliver: (e: OrderEvent) => void = () => undefined;
  const sim = new SimulatedExchange(
    {
      venue: 'SIM',
      instruments: [INST],
      ...(opts.venue ? { closedRetentionMs: opts.venue.closedRetentionMs } : {}),
    },
    (e) => deliver(e),
  );
  /** The most the venue held at once (closed reports, tombstones and trades). */
  let maxHeld = 0;
  const late: Fill[] = [];
  let t = MINUTE;
  let n = 0;
  const open = async () => {
    const { core } = await TradingCore.open({
      accountId: account,
      instruments: [INST],
      cash: RUN_CASH,
      orders,
      allowShort: true,
      startAt: t,
      onAlert: (a: Alert) => alerts.push(`${a.code}: ${a.message}`),
      closedOrderRetentionMs: opts.retentionMs,
      ...(opts.ledgerCheckpointFills ? { ledgerCheckpointFills: opts.ledgerCheckpointFills } : {}),
      venue: (d) => {
        deliver = d;
        const v = simVenue(INST, d, sim);
        return {
          ...v,
          tradesSince: async () => [...(await sim.tradesSince(-Infinity)), ...late],
          ...(opts.venue?.confirmStored
            ? { confirmStored: (through: number) => sim.confirmStored(through) }
            : {}),
        };
      },
    });
    await opts.opened?.(core);
    return core;
  };
  let core = await open();
  const place = (req: Parameters<typeof makeOrder>[0], owner = 's') => {
    const { order } = makeOrder(req, INST, {
      clientOrderId: `${account}-k-${++n}`,
      accountId: account,
      strategyId: owner,
      ts: t,
    });
    core.exec.add(order);
    core.submit(order, t);
  };
  for (const o of ops) {
    switch (o.kind) {
      case 'market':
        place({ side: o.buy ? 'BUY' : 'SELL', quantity: '1' }, o.owner);
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
            strategyId: w.strategyId,
            ts: t,
          });
        break;
      }
      case 'bar': {
        const p = o.price ?? 100;
        core.onBar(bar(p, p + 1, p - 1, p, t));
        t += MINUTE;
        break;
      }
      case 'jump':
        t += o.minutes * MINUTE;
        core.advanceTo(t);
        break;
      case 'copy': {
        const copy = await copyOfStoredFill(repo, o.pick, t);
        if (copy) deliver(copy);
        break;
      }
      case 'late': {
        const trade = await lateTradeOfCanceled(repo, o.pick, late.length, opts.late);
        if (!trade) break;
        late.push(trade.fill);
        if (late.length % 2 === 0) deliver(trade.report(t));
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
    const h = sim.held;
    maxHeld = Math.max(maxHeld, h.reports + h.tombstones + h.trades);
  }
  await core.reconcile();
  await core.settle();
  return { core, repo, alerts, reopen: open, sim, maxHeld, now: t };
}
