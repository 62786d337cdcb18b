import path from 'node:path';
import type { Store } from '../../src/store/open-store.js';
import { OrderRepository } from '../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../src/store/strategy-snapshot-repository.js';
import { FileCatalog } from '../../src/system/file-catalog.js';
import { openPaperCore } from '../../src/system/paper-account-core.js';
import { StrategyHost, type StrategyHostConfig } from '../../src/system/strategy-host.js';
import type { Bar } from '../../src/trading/data/market-data.js';
import { TradingCore } from '../../src/trading/live/trading-core.js';
import type { Instrument } from '../../src/trading/model/instrument.js';
import type { StrategySnapshotStore } from '../../src/trading/live/strategy-snapshot-store.js';
import type { Order } from '../../src/trading/model/order.js';
import { orderRef } from '../../src/trading/model/order-events.js';
import { PaperVenue } from '../../src/trading/venues/paper/paper-venue.js';

/** What a strategy-host test boots: the store, its folder (catalog, build, venue files), what it trades. */
export interface HostRigOptions {
  readonly store: Store;
  /** Holds `strategies/` (the catalog), `build/` and the paper venue's file. */
  readonly dir: string;
  /** The paper venue's file name in `dir` (one per run that must not share a venue). */
  readonly venue: string;
  /**
   * The account the core trades (default `desk`, the host's default account). Runs that share one
   * store each take their own: orders, fills and snapshots are keyed by account.
   */
  readonly accountId?: string;
  readonly instrument: Instrument;
  readonly cash: Record<string, string>;
  /** More of the host's settings (Lambda, venue bars, alerts...). */
  readonly host?: Partial<StrategyHostConfig>;
  /**
   * Open the core as `kairos serve` opens a paper account's (`openPaperCore`, its venue under
   * `dir/paper/<accountId>/`, cash in the instrument's quote) instead of a bare `TradingCore`.
   */
  readonly serverCore?: boolean;
  /** The order store the core writes and the host reads, as the test wraps it (a held read). */
  readonly orders?: (repo: OrderRepository) => OrderRepository;
}

/**
 * What `kairos serve` builds for an account (`desk` unless `accountId` says): its core on a paper
 * venue, and the strategy host beside it; `play` feeds bars as the server does (core, host,
 * settle, reconcile).
 */
export async function bootStrategyHost(o: HostRigOptions) {
  const accountId = o.accountId ?? 'desk';
  const repo = new OrderRepository(o.store.db, accountId);
  const orders = o.orders ? o.orders(repo) : repo;
  const server = o.serverCore
    ? await openPaperCore({
        accountId,
        home: o.dir,
        venue: 'PAPER',
        instruments: [o.instrument],
        cash: o.cash[o.instrument.quote]!,
        orders,
      })
    : await TradingCore.open({
        accountId,
        instruments: [o.instrument],
        cash: o.cash,
        orders,
        venue: (deliver) =>
          new PaperVenue(
            path.join(o.dir, `${o.venue}.json`),
            { venue: 'PAPER', instruments: [o.instrument] },
            deliver,
          ),
      }).then((opened) => ({ ...opened, paper: () => null }));
  const { core } = server;
  // The host's settings may name the snapshot store (a test's that fails or holds a save).
  const snapshots = o.host?.snapshots ?? new StrategySnapshotRepository(o.store.db, accountId);
  const host = new StrategyHost({
    db: o.store.db,
    core,
    instrument: o.instrument,
    catalog: FileCatalog.strategies(path.join(o.dir, 'strategies')),
    snapshots,
    ...(accountId === 'desk'
      ? {}
      : { account: (id: string) => (id === accountId ? { core, snapshots } : undefined) }),
    buildDir: path.join(o.dir, 'build'),
    now: Date.now,
    ...o.host,
  });
  const play = async (some: readonly Bar[]) => {
    for (const bar of some) {
      core.onBar(bar);
      await host.onBar(bar);
      await core.settle();
      await core.reconcile();
    }
  };
  /** Closes the server core's paper venue (its off-thread compaction), as a restart does. */
  const close = () => server.paper()?.close();
  return { core, host, play, close };
}

/**
 * `saved` with the save of the snapshot at `ts` held for ever (null: none held): the process is
 * killed in it. `inSave` resolves once that save began (the bar's orders are made and sent).
 */
export function heldSave(
  saved: StrategySnapshotStore,
  ts: number | null,
): { snapshots: StrategySnapshotStore; inSave: Promise<void> } {
  let saving: () => void = () => undefined;
  const inSave = new Promise<void>((r) => (saving = r));
  const snapshots: StrategySnapshotStore = {
    latest: (id) => saved.latest(id),
    first: (id) => saved.first?.(id) ?? Promise.resolve(null),
    save: (id, name, snap) => {
      if (snap.ts !== ts) return saved.save(id, name, snap);
      saving();
      return new Promise<void>(() => undefined);
    },
  };
  return { snapshots, inSave };
}

/**
 * At its first bar buys at market and bids at half the close (the bid stays open); keeps each
 * order event it heard, in order. Its catalog name is `early-bird`.
 */
export const EARLY_BIRD = `import { defineStrategy } from 'kairos/sdk';
export default defineStrategy({
  name: 'early-bird',
  init: () => ({ n: 0, heard: [] as string[] }),
  onBar(ctx, bar) {
    if (ctx.state.n++ > 0) return;
    ctx.buy('0.001');
    ctx.buy('0.001', { type: 'LIMIT', price: (bar.close * 0.5).toFixed(8) });
  },
  onOrderEvent(ctx, e) {
    ctx.state.heard.push(e.kind + ' ' + e.clientOrderId.split('-').at(-1));
  },
});
`;

/**
 * The venue expires the strategy's open bid (`early-bird`'s LIMIT order) at `ts`: a report the
 * test makes come exactly when it wants (during a resume's read, during a drain).
 */
export function expireBid(core: TradingCore, strategyId: string, ts: number): Order {
  const bid = core.exec.openOrders(strategyId).find((o) => o.type === 'LIMIT')!;
  core.exec.process({ kind: 'OrderExpired', ...orderRef(bid), ts, reason: 'EXPIRED_AT_VENUE' });
  return bid;
}

/**
 * An order store whose `eventsAfter` (the resume's read of what a strategy had not heard) waits
 * until `go()`; `reading` resolves once it was asked.
 */
export function heldEventsRead() {
  let asked: () => void = () => undefined;
  const reading = new Promise<void>((r) => (asked = r));
  let go: () => void = () => undefined;
  const gate = new Promise<void>((r) => (go = r));
  const orders = (repo: OrderRepository): OrderRepository =>
    new Proxy(repo, {
      get: (target, key) => {
        if (key === 'eventsAfter')
          return async (strategyId: string, seq: number) => {
            asked();
            await gate;
            return target.eventsAfter(strategyId, seq);
          };
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? (v as () => unknown).bind(target) : v;
      },
    });
  return { orders, reading, go: () => go() };
}

/**
 * A strategy whose decisions and state show every bar its indicators and history took: an EMA
 * (every bar it ever took counts) and the bar history, traced per bar (close time, EMA, the
 * history's length and first close). A resumed instance whose indicators start empty, or take a
 * bar twice, trades elsewhere and traces other values. Its catalog name is `ema-trace`.
 */
export const EMA_TRACE = `import { defineStrategy, ema } from 'kairos/sdk';
export default defineStrategy({
  name: 'ema-trace',
  indicators: () => ({ e: ema(12) }),
  init: () => ({ trace: [] as (number | null)[] }),
  onBar(ctx, bar) {
    const e = ctx.indicators.e.value;
    ctx.state.trace.push(bar.closeTime, e, ctx.bars(20).length, ctx.bars(20)[0]?.closeTime ?? null);
    if (e === null) return;
    if (bar.close > e && ctx.position().isFlat && ctx.openOrders().length === 0) ctx.buy('0.001');
    else if (bar.close < e && ctx.position().isLong) ctx.sell(ctx.position().quantity);
  },
});
`;

/**
 * Buys at its first bar and reads `ctx.order` of that order on every bar (kept in its state); at
 * bar 5 it buys 1 lot if the order still reads, else 2: a crash that lost the read changes a trade.
 * Its catalog name is `rereader`.
 */
export const REREADER = `import { defineStrategy } from 'kairos/sdk';
export default defineStrategy({
  name: 'rereader',
  init: () => ({ n: 0, first: null as string | null, reads: [] as string[] }),
  onBar(ctx) {
    const n = ctx.state.n++;
    const read = ctx.state.first === null ? 'none' : ctx.order(ctx.state.first)?.status ?? '-';
    ctx.state.reads.push(n + ' ' + read);
    if (n === 0) ctx.state.first = ctx.buy('0.001').clientOrderId;
    if (n === 5) ctx.buy(read === '-' ? '0.002' : '0.001');
  },
});
`;

/**
 * Buys at every third bar (sells what it holds at the next) and keeps, in its state, each order
 * event it heard (kind and order sequence): a restart that loses one it heard, or tells one
 * twice, leaves another state. Its catalog name is `fill-hearer`.
 */
export const FILL_HEARER = `import { defineStrategy } from 'kairos/sdk';
export default defineStrategy({
  name: 'fill-hearer',
  init: () => ({ n: 0, heard: [] as string[] }),
  onBar(ctx) {
    const n = ctx.state.n++;
    if (n % 3 === 0) ctx.buy('0.001');
    else if (n % 3 === 1 && ctx.position().isLong) ctx.sell(ctx.position().quantity);
  },
  onOrderEvent(ctx, e) {
    ctx.state.heard.push(ctx.state.n + ' ' + e.kind + ' ' + e.clientOrderId.split('-').at(-1));
  },
});
`;

/**
 * Reads its open orders at every bar (kept in its state): none open, it bids 5 % under the close
 * (the bid stays open, as a rule); else it cancels them. It keeps each order event it heard, with
 * the bar it heard it at. A replayed bar that shows it an order it had not
 * made yet at that bar makes it trade and remember otherwise. Its catalog name is `open-counter`.
 */
export const OPEN_COUNTER = `import { defineStrategy } from 'kairos/sdk';
export default defineStrategy({
  name: 'open-counter',
  init: () => ({ seen: [] as number[], heard: [] as string[] }),
  onBar(ctx, bar) {
    const open = ctx.openOrders();
    ctx.state.seen.push(open.length);
    if (open.length === 0) ctx.buy('0.001', { type: 'LIMIT', price: (bar.close * 0.95).toFixed(8) });
    else for (const o of open) ctx.cancel(o.clientOrderId);
  },
  onOrderEvent(ctx, e) {
    ctx.state.heard.push(ctx.state.seen.length + ' ' + e.kind + ' ' + e.clientOrderId.split('-').at(-1));
  },
});
`;

/** An order as two runs of one strategy compare it: its sequence, side, size, status and fill. */
export const orderOutcome = (o: Order): string =>
  `${o.clientOrderId.split('-').at(-1)} ${o.side} ${o.quantity.toFixed()} ${o.status} ${o.filledQuantity.toFixed()}`;
