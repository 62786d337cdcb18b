import { price, quantity } from '../../../../src/trading/core/money.js';
import {
  CLOSED_REPORT_RETENTION_MS,
  SimulatedExchange,
  type SimulatedExchangeState,
} from '../../../../src/trading/backtest/simulated-exchange.js';
import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Endpoints } from '../../../../src/trading/bus/topics.js';
import { ExecutionEngine } from '../../../../src/trading/execution/execution-engine.js';
import type { Order } from '../../../../src/trading/model/order.js';
import type { OrderEvent } from '../../../../src/trading/model/order-events.js';
import { reconcile } from '../../../../src/trading/live/reconciler.js';
import { bar, instrument, newOrder } from '../../../support/builders.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** An OMS in front of the venue (no store: what it would have stored is captured by the test). */
function oms(venue: () => SimulatedExchange) {
  const bus = new MessageBus();
  const exec = new ExecutionEngine(bus, () => ({
    submit: (o, ts) => venue().submit(o, ts),
    cancel: (id, ts) => venue().cancel(id, ts),
  }));
  const place = (order: Order, ts: number) => {
    exec.add(order);
    bus.send(Endpoints.execution, { kind: 'SubmitOrder', order, ts });
  };
  const cancel = (clientOrderId: string, ts: number) =>
    bus.send(Endpoints.execution, { kind: 'CancelOrder', clientOrderId, ts });
  return { bus, exec, place, cancel };
}

/**
 * A paper-like run on hourly bars: each bar a market order (filled on the next bar), a limit far
 * under the market (canceled on the next bar) and an IOC that cannot fill (canceled on its first
 * chance); one limit rests from the start to the end.
 */
function run(days: number, opts: { closedRetentionMs?: number } = {}) {
  let node: ReturnType<typeof oms> | null = null;
  const closedAt = new Map<string, number>();
  const track = (e: OrderEvent) => {
    if (e.kind === 'OrderCanceled' || e.kind === 'OrderRejected')
      closedAt.set(e.clientOrderId, e.ts);
    if (e.kind === 'OrderFilled' && node!.exec.order(e.clientOrderId)?.status === 'FILLED')
      closedAt.set(e.clientOrderId, e.ts);
  };
  // The trades the store holds (`venue:tradeId`).
  const stored = new Set<string>();
  const deliver = (e: OrderEvent) => {
    node?.exec.process(e);
    track(e);
    if (e.kind === 'OrderFilled') stored.add(`${e.fill.venue}:${e.fill.tradeId}`);
  };
  const venue = new SimulatedExchange(
    { venue: 'PAPER', instruments: [instrument()], ...opts },
    (e) => deliver(e),
  );
  node = oms(() => venue);
  const bars = days * 24;
  let before: Order[] = [];
  let known = new Set<string>();
  node.place(newOrder({ type: 'LIMIT', price: price('1'), createdAt: 0 }, 'rest'), 0);
  for (let i = 1; i <= bars; i++) {
    const t = i * HOUR;
    // What the store holds before the last bar (a node killed during it loses that bar's reports).
    if (i === bars) {
      before = node.exec.openOrders();
      known = new Set(stored);
    }
    venue.onBar(bar(100, 101, 99, 100, t));
    if (i === bars) break;
    if (i > 1) node.cancel(`l-${i - 1}`, t);
    node.place(newOrder({ createdAt: t }, `m-${i}`), t);
    node.place(newOrder({ type: 'LIMIT', price: price('50'), createdAt: t }, `l-${i}`), t);
    node.place(
      newOrder({ type: 'LIMIT', price: price('50'), timeInForce: 'IOC', createdAt: t }, `ioc-${i}`),
      t,
    );
  }
  return { venue, node, closedAt, end: bars * HOUR, before, known };
}

describe('SimulatedExchange, closed reports on the market clock', () => {
  it('a long paper run keeps the open orders and those closed within the window, not every order', async () => {
    const { venue, node, closedAt, end } = run(30);
    const state = venue.snapshot();
    const kept = new Set(state.reports.map((r) => r.clientOrderId));
    const open = node.exec.openOrders().map((o) => o.clientOrderId);
    // The last bar released everything closed a full window before it.
    const lastBar = end;
    const recent = [...closedAt].filter(([, at]) => lastBar - at < CLOSED_REPORT_RETENTION_MS);
    expect([...kept].sort()).toEqual([...open, ...recent.map(([id]) => id)].sort());
    // 30 days × 3 orders a bar were placed; about 7 days' worth (and the open ones) are left.
    expect(closedAt.size).toBeGreaterThan(2_000);
    expect(kept.size).toBeLessThan(7 * 24 * 3 + open.length + 3);
    expect(open).toContain('rest');
    expect(state.closed?.map(([id]) => id).sort()).toEqual(recent.map(([id]) => id).sort());
    // What a reconciliation asks: the resting order, a recent closed one; an old one is gone.
    expect((await venue.openOrders()).map((r) => r.clientOrderId)).toEqual(
      expect.arrayContaining(['rest']),
    );
    expect(await venue.orderByClientId(`m-${30 * 24 - 1}`)).toMatchObject({ status: 'FILLED' });
    expect(await venue.orderByClientId(`l-${30 * 24 - 2}`)).toMatchObject({
      status: 'CANCELED',
      reason: 'CANCELED_BY_USER',
    });
    expect(await venue.orderByClientId('m-1')).toBeNull();
    // Every trade is kept (a node's ledger may need them after a store outage).
    expect(state.trades).toHaveLength(30 * 24 - 1);
  });

  it('a node restarted after a long run reconciles the orders closed by the bar it lost', async () => {
    const { venue, node, before, known, end } = run(10);
    // A second OMS with what the store held before the last bar, reconciled before any new bar.
    const restarted = oms(() => venue);
    for (const o of before) restarted.exec.restore(o);
    // Trades since the store's last fill (the bar before), those it holds left out.
    const result = await reconcile(restarted.exec, venue, restarted.bus, end - HOUR, end, known);
    expect(result.drift).toEqual([]);
    for (const o of before) {
      const now = node.exec.order(o.clientOrderId)!;
      expect([o.clientOrderId, restarted.exec.order(o.clientOrderId)!.status]).toEqual([
        o.clientOrderId,
        now.status,
      ]);
      expect(restarted.exec.order(o.clientOrderId)!.filledQuantity.eq(now.filledQuantity)).toBe(
        true,
      );
    }
    // The bar lost closed orders with their reasons (a fill, a user's cancel, an IOC's rest).
    expect(before.map((o) => o.clientOrderId)).toEqual(
      expect.arrayContaining(['rest', `m-${10 * 24 - 1}`, `l-${10 * 24 - 1}`]),
    );
  });

  it('restored from a snapshot mid-run, it releases exactly what the uninterrupted venue releases', () => {
    const inst = instrument();
    const opts = { venue: 'PAPER', instruments: [inst], closedRetentionMs: 2 * HOUR };
    const a = new SimulatedExchange(opts, () => undefined);
    let b: SimulatedExchange | null = null;
    for (let i = 1; i <= 40; i++) {
      const t = i * HOUR;
      for (const ex of b ? [a, b] : [a]) {
        ex.onBar(bar(100, 101, 99, 100, t));
        ex.submit({ ...newOrder({ createdAt: t }, `m-${i}`), status: 'SUBMITTED' }, t);
        ex.submit(
          {
            ...newOrder({ type: 'LIMIT', price: price('50'), createdAt: t }, `c-${i}`),
            status: 'SUBMITTED',
          },
          t,
        );
        ex.cancel(`c-${i}`, t + 1);
      }
      if (i === 20) {
        b = new SimulatedExchange(opts, () => undefined);
        b.restore(JSON.parse(a.snapshotJson()) as SimulatedExchangeState);
      }
    }
    expect(b!.snapshotJson()).toBe(a.snapshotJson());
    // Two hours of hourly bars: the orders of the last two bars, the last one's market order open.
    expect(a.snapshot().reports.map((r) => `${r.clientOrderId}:${r.status}`)).toEqual([
      'm-38:FILLED',
      'c-38:CANCELED',
      'm-39:FILLED',
      'c-39:CANCELED',
      'm-40:OPEN',
      'c-40:CANCELED',
    ]);
  });

  it('a state written before release keeps its closed reports a whole window from the next bar', async () => {
    const inst = instrument();
    const ex = new SimulatedExchange(
      { venue: 'PAPER', instruments: [inst], closedRetentionMs: DAY },
      () => undefined,
    );
    ex.submit({ ...newOrder({ quantity: quantity('1') }, 'old'), status: 'SUBMITTED' }, 0);
    ex.submit(
      { ...newOrder({ type: 'LIMIT', price: price('1') }, 'resting'), status: 'SUBMITTED' },
      0,
    );
    ex.onBar(bar(100, 101, 99, 100, HOUR));
    const { closed, ...older } = ex.snapshot();
    expect(closed).toEqual([['old', HOUR]]);
    const restored = new SimulatedExchange(
      { venue: 'PAPER', instruments: [inst], closedRetentionMs: DAY },
      () => undefined,
    );
    restored.restore(older);
    restored.onBar(bar(100, 101, 99, 100, 10 * DAY));
    expect(await restored.orderByClientId('old')).toMatchObject({ status: 'FILLED' });
    restored.onBar(bar(100, 101, 99, 100, 11 * DAY - 1));
    expect(await restored.orderByClientId('old')).toMatchObject({ status: 'FILLED' });
    restored.onBar(bar(100, 101, 99, 100, 11 * DAY));
    expect(await restored.orderByClientId('old')).toBeNull();
    // The open order is never released.
    restored.onBar(bar(100, 101, 99, 100, 30 * DAY));
    expect(await restored.orderByClientId('resting')).toMatchObject({ status: 'OPEN' });
  });

  it("on trade ticks too, releases on the trades' times", async () => {
    const ex = new SimulatedExchange(
      { venue: 'PAPER', instruments: [instrument()], closedRetentionMs: HOUR },
      () => undefined,
    );
    const tick = (ts: number) => ({
      instrumentId: 'TEST/USD',
      ts,
      tradeId: String(ts),
      price: 100,
      size: 100,
      aggressor: 'NONE' as const,
    });
    ex.submit({ ...newOrder({ quantity: quantity('1') }, 'a'), status: 'SUBMITTED' }, 0);
    ex.onTrade(tick(1_000));
    expect(await ex.orderByClientId('a')).toMatchObject({ status: 'FILLED' });
    ex.onTrade(tick(1_000 + HOUR - 1));
    expect(await ex.orderByClientId('a')).toMatchObject({ status: 'FILLED' });
    ex.onTrade(tick(1_000 + HOUR));
    expect(await ex.orderByClientId('a')).toBeNull();
    expect(await ex.tradesSince(0)).toHaveLength(1);
  });

  it('refuses a retention that is not a finite number of milliseconds >= 0, naming it', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number])
      expect(
        () =>
          new SimulatedExchange(
            { venue: 'PAPER', instruments: [instrument()], closedRetentionMs: bad },
            () => undefined,
          ),
      ).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: `closedRetentionMs: must be a finite number of milliseconds >= 0, was ${String(bad)}`,
        }),
      );
  });
});
