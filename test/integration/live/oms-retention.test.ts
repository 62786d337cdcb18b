import { OrderRepository } from '../../../src/store/order-repository.js';
import { Endpoints } from '../../../src/trading/bus/topics.js';
import { makeOrder } from '../../../src/trading/execution/order-factory.js';
import { TradingCore } from '../../../src/trading/live/trading-core.js';
import { TradingDesk } from '../../../src/trading/live/trading-desk.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { Fill } from '../../../src/trading/model/fill.js';
import { orderRef, type OrderEvent } from '../../../src/trading/model/order-events.js';
import { bar, fill, instrument } from '../../support/builders.js';
import { simVenue } from '../../support/paper-trades.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

const MINUTE = 60_000;
const RETENTION = 10 * MINUTE;
/** A window no run reaches: the OMS keeps every order, as before this change. */
const NEVER = Number.MAX_SAFE_INTEGER;
const INST = instrument();

type Store = Awaited<ReturnType<typeof freshStore>>;

let accounts = 0;

/**
 * A trading core on `store` over a simulated venue on a moved clock, as `account` (default a
 * new one: each run has its own orders, fills and client order ids in the dialect's one store).
 * `extra` are trades the venue's history adds (a fill whose report was lost); `whole`: its
 * history is read whole, whatever the reconciliation asks (a reconciliation over an old window).
 * `id` makes a client order id of the account from a bare one, `bare` takes it off again.
 */
async function openCore(store: Store, retentionMs: number, account = `a${++accounts}`) {
  const orders = new OrderRepository(store.db, account);
  const alerts: Alert[] = [];
  const venue = {
    extra: [] as Fill[],
    whole: false,
    deliver: (_: OrderEvent): void => undefined,
  };
  const { core } = await TradingCore.open({
    accountId: account,
    instruments: [INST],
    cash: { USD: '1000000' },
    orders,
    onAlert: (a) => alerts.push(a),
    closedOrderRetentionMs: retentionMs,
    venue: (deliver) => {
      venue.deliver = (e) => deliver(e);
      const sim = simVenue(INST, deliver);
      return {
        ...sim,
        tradesSince: async (ts) => {
          const from = venue.whole ? -Infinity : ts;
          return [...(await sim.tradesSince(from)), ...venue.extra.filter((t) => t.ts >= from)];
        },
      };
    },
  });
  const id = (bareId: string) => `${account}-${bareId}`;
  const bare = (line: string) => line.replaceAll(`${account}-`, '');
  return { core, orders, alerts, venue, account, id, bare };
}

type Session = Awaited<ReturnType<typeof openCore>>;

/** Places the session's order `id` (bare) at `t` through the risk gate. */
function place(
  { core, account, id: idOf }: Session,
  id: string,
  t: number,
  req: Parameters<typeof makeOrder>[0],
) {
  const { order } = makeOrder(req, INST, {
    clientOrderId: idOf(id),
    accountId: account,
    strategyId: 's',
    ts: t,
  });
  core.exec.add(order);
  core.submit(order, t);
}

/**
 * `n` orders, one a minute: market orders filled at the next bar's open (a buy, then a sell),
 * and every fifth a limit far from the market, cancelled at once (CANCELED, still fillable).
 */
async function trade(s: Session, n: number, from = 0): Promise<number> {
  const { core } = s;
  let long = false;
  let t = from;
  for (let i = 1; i <= n; i++) {
    t = from + i * MINUTE;
    core.advanceTo(t);
    if (i % 5 === 0) {
      place(s, `k-${from}-${i}`, t, { side: 'BUY', quantity: '1', price: '1' });
      core.bus.send(Endpoints.risk, {
        kind: 'CancelOrder',
        clientOrderId: s.id(`k-${from}-${i}`),
        strategyId: 's',
        ts: t,
      });
    } else {
      place(s, `k-${from}-${i}`, t, { side: long ? 'SELL' : 'BUY', quantity: '1' });
      long = !long;
    }
    core.onBar(bar(100, 101, 99, 100, t));
    await core.settle();
  }
  return t;
}

/** `n` orders (`trade`), then, past the window, an order that stays open (its call sweeps). */
async function tradePastWindow(s: Session, n: number): Promise<void> {
  const end = await trade(s, n);
  const t = end + RETENTION + MINUTE;
  s.core.advanceTo(t);
  place(s, 'open-1', t, { side: 'BUY', quantity: '1', price: '1' });
  await s.core.settle();
}

/** What a run came to: cash, position, the stored fills and orders (bare ids). */
async function outcome({ core, orders, bare }: Session) {
  return {
    cash: core.ledger.cash('USD').toFixed(),
    position: core.ledger.position(INST.id).quantity.toFixed(),
    fills: (await orders.fills()).map((f) => bare(`${f.tradeId} ${f.clientOrderId} ${f.quantity}`)),
    orders: (await orders.ordersSince(0)).map((o) =>
      bare(`${o.clientOrderId} ${o.status} ${o.filledQuantity.toFixed()}`),
    ),
  };
}

/** Every stored fill reported again, as a stream delivers copies late, and every cancel again. */
async function replayReports({ orders, venue, core }: Session): Promise<void> {
  const all = await orders.ordersSince(0);
  const byId = new Map(all.map((o) => [o.clientOrderId, o]));
  for (const f of await orders.fills()) {
    const o = byId.get(f.clientOrderId)!;
    venue.deliver({ kind: 'OrderFilled', ...orderRef(o), ts: f.ts, fill: f });
  }
  for (const o of all.filter((x) => x.status === 'CANCELED'))
    venue.deliver({ kind: 'OrderCanceled', ...orderRef(o), ts: o.updatedAt, reason: 'again' });
  await core.settle();
}

/** A trade of the session's order `id` (bare) made before its cancel took effect, reported only now. */
function lateTrade(s: Session, id: string, tradeId: string, ts: number): Fill {
  return {
    ...fill('BUY', '100', '1', '0', tradeId),
    accountId: s.account,
    clientOrderId: s.id(id),
    ts,
  };
}

describe.each(DIALECTS)('the OMS forgets closed orders after its window, on %s', (dialect) => {
  // One store a dialect: each run is an account of its own (a store costs ~0.3 s of CPU on
  // PGlite, up to ~1 s of wall on a loaded Postgres; the file made 16).
  let store: Store;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store.drop();
  });

  it('a long run holds the open and recent orders, not every order it placed; a window never reached keeps them all', async () => {
    const s = await openCore(store, RETENTION);
    await tradePastWindow(s, 60);
    expect(s.core.memory).toEqual({
      orders: 1,
      tradeIds: 0,
      restoredKeys: 0,
      queuedCancels: 0,
      recalling: 0,
      roundTrips: 0,
    });
    expect(s.core.exec.openOrders().map((o) => s.bare(o.clientOrderId))).toEqual(['open-1']);
    // The store still answers for every order.
    expect((await s.orders.ordersSince(0)).length).toBe(61);

    const kept = await openCore(store, NEVER);
    await tradePastWindow(kept, 60);
    const fills = (await kept.orders.fills()).length;
    expect(fills).toBeGreaterThan(40);
    expect(kept.core.memory).toMatchObject({ orders: 61, tradeIds: fills });
    expect(await outcome(kept)).toEqual(await outcome(s));
  });

  it('within the window, the recent orders stay: only those closed for the whole window go', async () => {
    const s = await openCore(store, RETENTION);
    const end = await trade(s, 30);
    place(s, 'open-1', end + MINUTE, { side: 'BUY', quantity: '1', price: '1' });
    await s.core.settle();
    // Closed in the last 10 minutes (up to a minute more: a sweep at most once a minute).
    const held = s.core.memory.orders;
    expect(held).toBeGreaterThanOrEqual(11);
    expect(held).toBeLessThanOrEqual(13);
  });

  it('after release, copies of every report and a reconciliation over the whole history apply nothing twice; a new late fill is applied once, as if never released', async () => {
    const results = [];
    for (const retention of [RETENTION, NEVER]) {
      const s = await openCore(store, retention);
      await tradePastWindow(s, 40);
      const before = await outcome(s);
      if (retention === RETENTION) expect(s.core.memory.orders).toBe(1);
      // A reconciliation over the whole history while every closed order is released: its
      // trades are copies, but one whose report was lost (of k-0-10, made before its cancel
      // took effect), applied once.
      s.venue.whole = true;
      s.venue.extra.push(lateTrade(s, 'k-0-10', 'LATE-2', 10 * MINUTE));
      expect(await s.core.reconcile()).toMatchObject({ fillsApplied: 1, drift: [] });
      const reconciled = await outcome(s);
      expect(reconciled.fills.length).toBe(before.fills.length + 1);
      expect(reconciled.orders).toContain('k-0-10 CANCELED 1');
      // Copies of every report on the stream, and the whole history again: nothing changes.
      await replayReports(s);
      expect(await s.core.reconcile()).toMatchObject({ fillsApplied: 0, drift: [] });
      expect(await outcome(s)).toEqual(reconciled);
      // A trade of the first cancelled order (k-0-5), reported late on the stream, then read
      // again by reconciliation: applied once.
      s.venue.deliver({
        kind: 'OrderFilled',
        ...orderRef((await s.orders.order(s.id('k-0-5')))!),
        ts: 5 * MINUTE,
        fill: lateTrade(s, 'k-0-5', 'LATE-1', 5 * MINUTE),
      });
      await s.core.settle();
      s.venue.extra.push(lateTrade(s, 'k-0-5', 'LATE-1', 5 * MINUTE));
      expect(await s.core.reconcile()).toMatchObject({ fillsApplied: 0, drift: [] });
      await replayReports(s);
      expect((await s.core.reconcile()).fillsApplied).toBe(0);
      results.push({
        outcome: await outcome(s),
        // A released order's reports wait for the store: those of different orders may come
        // in another order, each order's own in order.
        alerts: s.alerts.map((a) => s.bare(`${a.code}: ${a.message}`)).sort(),
      });
    }
    const [released, kept] = results;
    expect(released).toEqual(kept);
    expect(released!.outcome.fills.filter((f) => f.startsWith('LATE'))).toEqual([
      'LATE-1 k-0-5 1',
      'LATE-2 k-0-10 1',
    ]);
    expect(released!.outcome.orders).toContain('k-0-5 CANCELED 1');
    expect(released!.alerts.filter((a) => !a.startsWith('LATE_REPORT'))).toEqual([
      'LATE_FILL: fill LATE-1 for k-0-5, already CANCELED: applied',
      'LATE_FILL: fill LATE-2 for k-0-10, already CANCELED: applied',
    ]);
  });

  it("the desk reads, cancels and places again by a released order's id through the store", async () => {
    const s = await openCore(store, RETENTION);
    await tradePastWindow(s, 12);
    const filled = (await s.orders.ordersSince(0)).find((o) => o.status === 'FILLED')!;
    const id = filled.clientOrderId;
    expect(s.core.exec.order(id)).toBeUndefined();
    const desk = new TradingDesk(s.core, s.orders);
    expect(await desk.find('s', id)).toEqual(filled);
    expect((await desk.cancel('s', s.id('k-0-5')))?.status).toBe('CANCELED');
    // Its id again with its request: the stored order; with another request: refused, nothing made.
    const again = await desk.place('s', id, {
      instrumentId: INST.id,
      side: filled.side,
      type: filled.type,
      quantity: filled.quantity.toFixed(),
    });
    expect(again).toEqual({ created: false, order: filled });
    await expect(
      desk.place('s', id, {
        instrumentId: INST.id,
        side: filled.side === 'BUY' ? 'SELL' : 'BUY',
        quantity: '5',
      }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    await s.core.settle();
    expect(s.core.exec.order(id)).toBeUndefined();
    expect((await s.orders.ordersSince(0)).length).toBe(13);
    expect(s.alerts).toEqual([]);
  });

  it('a report of an order neither held nor stored is still UNKNOWN_ORDER_REPORT, and its trade drift', async () => {
    const s = await openCore(store, RETENTION);
    await trade(s, 5);
    s.venue.deliver({
      kind: 'OrderFilled',
      clientOrderId: 'ghost',
      accountId: s.account,
      strategyId: 's',
      instrumentId: INST.id,
      ts: 6 * MINUTE,
      fill: { ...lateTrade(s, 'ghost', 'G-1', 6 * MINUTE), clientOrderId: 'ghost' },
    });
    await s.core.settle();
    s.venue.whole = true;
    s.venue.extra.push({ ...lateTrade(s, 'ghost', 'G-1', 6 * MINUTE), clientOrderId: 'ghost' });
    const r = await s.core.reconcile();
    expect(r.drift).toEqual(['trade G-1 for unknown order ghost']);
    expect(s.alerts.map((a) => a.code)).toEqual(['UNKNOWN_ORDER_REPORT', 'RECONCILIATION_DRIFT']);
    expect((await s.orders.fills()).map((f) => f.tradeId)).not.toContain('G-1');
  });

  it('a restart restores only the open and recent orders, and still applies nothing twice', async () => {
    const first = await openCore(store, RETENTION);
    const end = await trade(first, 30);
    await first.core.settle();
    const before = await outcome(first);
    const s = await openCore(store, RETENTION, first.account);
    expect(s.core.memory.orders).toBe(0);
    s.core.advanceTo(end + MINUTE);
    s.venue.whole = true;
    // The restarted venue (a new simulator) has none of the history: the stored fills stand.
    s.venue.extra.push(...(await s.orders.fills()));
    expect(await s.core.reconcile()).toMatchObject({ fillsApplied: 0, drift: [] });
    await replayReports(s);
    expect(await s.core.reconcile()).toMatchObject({ fillsApplied: 0, drift: [] });
    expect(await outcome(s)).toEqual(before);
    // A trade of an order closed before the restart, reported only now (before this change:
    // drift, never applied): its stored order is taken back and the trade applied, once.
    s.venue.extra.push(lateTrade(s, 'k-0-5', 'LATE-1', 5 * MINUTE));
    expect(await s.core.reconcile()).toMatchObject({ fillsApplied: 1, drift: [] });
    expect((await s.core.reconcile()).fillsApplied).toBe(0);
    expect((await s.orders.order(s.id('k-0-5')))!.filledQuantity.toFixed()).toBe('1');
    expect(s.alerts.map((a) => a.code).filter((c) => c !== 'LATE_REPORT')).toEqual(['LATE_FILL']);
  });
});
