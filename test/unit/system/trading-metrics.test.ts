import fc from 'fast-check';
import { MemoryMetrics } from '../../../src/monitoring/memory-metrics.js';
import {
  countTradingEvents,
  killSwitchMetrics,
  venueConnection,
} from '../../../src/system/trading-metrics.js';
import { MessageBus } from '../../../src/trading/bus/message-bus.js';
import { Topics } from '../../../src/trading/bus/topics.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import type { Order } from '../../../src/trading/model/order.js';

const ids = (n: number) => ({
  clientOrderId: `sma-${n}`,
  accountId: 'desk',
  strategyId: 'sma',
  instrumentId: 'BTC/USDT',
  ts: 1,
});

function setup() {
  const metrics = new MemoryMetrics();
  const bus = new MessageBus();
  let t = 1_000;
  const statuses = new Map<string, string>();
  const counted = countTradingEvents(bus, metrics, {
    venue: 'PAPER',
    now: () => t,
    order: (id) => (statuses.has(id) ? ({ status: statuses.get(id) } as Order) : undefined),
  });
  const publish = (e: object) => bus.publish(Topics.orderEvents('sma'), e as OrderEvent);
  return {
    metrics,
    bus,
    counted,
    publish,
    statuses,
    advance: (ms: number) => (t += ms),
  };
}

describe('trading metrics: what the bus says, counted', () => {
  it('counts orders by status, denials by reason, fills; observes tick-to-ack latency', () => {
    const { metrics, publish, advance, statuses } = setup();
    const v = (status: string) => metrics.value('kairos_orders_total', { venue: 'PAPER', status });
    publish({ kind: 'OrderInitialized', ...ids(1), order: {} });
    publish({ kind: 'OrderSubmitted', ...ids(1) });
    advance(4);
    publish({ kind: 'OrderAccepted', ...ids(1), venueOrderId: 'v1' });
    statuses.set('sma-1', 'PARTIALLY_FILLED');
    publish({ kind: 'OrderFilled', ...ids(1), fill: {} });
    statuses.set('sma-1', 'FILLED');
    publish({ kind: 'OrderFilled', ...ids(1), fill: {} });
    publish({ kind: 'OrderInitialized', ...ids(2), order: {} });
    publish({ kind: 'OrderDenied', ...ids(2), reason: 'INSUFFICIENT_BALANCE', message: 'x' });
    publish({ kind: 'OrderInitialized', ...ids(3), order: {} });
    publish({ kind: 'OrderDenied', ...ids(3), reason: 'free text from somewhere', message: '' });
    expect(v('INITIALIZED')).toBe(3);
    expect(v('SUBMITTED')).toBe(1);
    expect(v('ACCEPTED')).toBe(1);
    expect(v('PARTIALLY_FILLED')).toBe(1);
    expect(v('FILLED')).toBe(1);
    expect(v('DENIED')).toBe(2);
    expect(metrics.value('kairos_risk_denials_total', { reason: 'INSUFFICIENT_BALANCE' })).toBe(1);
    expect(metrics.value('kairos_risk_denials_total', { reason: 'OTHER' })).toBe(1);
    expect(metrics.value('kairos_fills_total', { venue: 'PAPER' })).toBe(2);
    const latency = metrics.histogramValue('kairos_order_latency_seconds', { venue: 'PAPER' });
    expect(latency?.count).toBe(1);
    expect(latency?.sum).toBeCloseTo(0.004, 9);
  });

  it('an acknowledgement heard while a cancel is out changes no status: observed, not counted', () => {
    const { metrics, publish, advance, statuses } = setup();
    const v = (status: string) => metrics.value('kairos_orders_total', { venue: 'PAPER', status });
    publish({ kind: 'OrderInitialized', ...ids(1), order: {} });
    publish({ kind: 'OrderSubmitted', ...ids(1) });
    statuses.set('sma-1', 'PENDING_CANCEL');
    publish({ kind: 'OrderPendingCancel', ...ids(1) });
    advance(3);
    publish({ kind: 'OrderAccepted', ...ids(1), venueOrderId: 'v1' });
    expect(v('PENDING_CANCEL')).toBe(1);
    expect(v('ACCEPTED') ?? 0).toBe(0);
    // The venue's acknowledgement still ends the order's tick-to-ack.
    const latency = metrics.histogramValue('kairos_order_latency_seconds', { venue: 'PAPER' });
    expect(latency?.count).toBe(1);
    expect(latency?.sum).toBeCloseTo(0.003, 9);
  });

  it('tracks unresolved orders and the oldest one’s age until they resolve', () => {
    const { metrics, publish, advance, counted } = setup();
    const unresolved = () => metrics.value('kairos_unresolved_orders');
    const oldest = () => metrics.value('kairos_unresolved_order_oldest_seconds');
    expect([unresolved(), oldest()]).toEqual([0, 0]);
    publish({ kind: 'OrderInitialized', ...ids(1), order: {} });
    publish({ kind: 'OrderSubmitted', ...ids(1) });
    advance(1_000);
    publish({ kind: 'OrderSubmitted', ...ids(2) });
    publish({ kind: 'OrderUnknown', ...ids(1), reason: 'VENUE_TIMEOUT' });
    advance(2_500);
    counted.sample();
    expect([unresolved(), oldest()]).toEqual([2, 3.5]);
    publish({ kind: 'OrderRejected', ...ids(1), reason: 'NOT_AT_VENUE', message: '' });
    expect([unresolved(), oldest()]).toEqual([1, 2.5]);
    publish({ kind: 'OrderAccepted', ...ids(2), venueOrderId: 'v' });
    expect([unresolved(), oldest()]).toEqual([0, 0]);
    expect(metrics.value('kairos_orders_total', { venue: 'PAPER', status: 'UNKNOWN' })).toBe(1);
  });

  it('shows the kill switch per scope, reconciliations, drift and bans', () => {
    const { metrics, bus, counted } = setup();
    const ks = (scope: string, state: string) =>
      metrics.value('kairos_kill_switch_engaged', { scope, state });
    expect([ks('global', 'HALTED'), ks('strategy', 'HALTED')]).toEqual([0, 0]);
    const change = (scope: string, strategyId: string | null, state: string) =>
      bus.publish(Topics.risk, {
        kind: 'TradingStateChanged',
        scope,
        strategyId,
        state,
        actor: 'risk',
        ts: 1,
      });
    change('GLOBAL', null, 'HALTED');
    change('STRATEGY', 'a', 'REDUCING');
    expect([ks('global', 'HALTED'), ks('strategy', 'REDUCING'), ks('global', 'REDUCING')]).toEqual([
      1, 1, 0,
    ]);
    change('GLOBAL', null, 'ACTIVE');
    change('STRATEGY', 'a', 'ACTIVE');
    expect([ks('global', 'HALTED'), ks('strategy', 'REDUCING')]).toEqual([0, 0]);
    expect(ks('account', 'HALTED')).toBe(0);

    counted.onReconciled({ resolved: [], fillsApplied: 0, drift: [] });
    counted.onReconciled({ resolved: ['x'], fillsApplied: 1, drift: ['a', 'b'] });
    counted.onAlert({ kind: 'Alert', code: 'TRADING_PAUSED', message: '', ts: 1 });
    counted.onAlert({ kind: 'Alert', code: 'VENUE_RATE_LIMITED', message: '', ts: 1 });
    counted.onAlert({ kind: 'Alert', code: 'VENUE_BANNED', message: '', ts: 1 });
    counted.onAlert({ kind: 'Alert', code: 'ORDER_OVERFILL', message: '', ts: 1 });
    counted.onAlert({ kind: 'Alert', code: 'PERSISTENCE_FAILED', message: '', ts: 1 });
    counted.onAlert({ kind: 'Alert', code: 'ORDER_CONFLICT', message: '', ts: 1 });
    const persistence = (code: string) =>
      metrics.value('kairos_persistence_failures_total', { code });
    expect(
      ['PERSISTENCE_FAILED', 'FILL_CONFLICT', 'ORDER_CONFLICT', 'ORDER_OVERFILL'].map(persistence),
    ).toEqual([1, 0, 1, undefined]);
    const rec = (result: string) =>
      metrics.value('kairos_reconciliations_total', { venue: 'PAPER', result });
    expect([rec('clean'), rec('drift'), rec('failed')]).toEqual([1, 1, 1]);
    expect(metrics.value('kairos_reconciliation_drift', { venue: 'PAPER' })).toBe(2);
    const bans = (status_code: string) =>
      metrics.value('kairos_request_budget_bans_total', { venue: 'PAPER', status_code });
    expect([bans('429'), bans('418')]).toEqual([1, 1]);
    // A trade kept aside for a venue order never linked, dropped: counted, from 0.
    const dropped = () => metrics.value('kairos_venue_trades_dropped_total', { venue: 'PAPER' });
    expect(dropped()).toBe(0);
    counted.onAlert({ kind: 'Alert', code: 'PARKED_TRADE_DROPPED', message: '', ts: 1 });
    expect(dropped()).toBe(1);
  });

  it('counts scopes per kind on a bus of several accounts: one account never overwrites another', () => {
    // A bus that names the account of each event (TradingAccounts.bus): each core's GLOBAL scope
    // is its account's; strategies of the same id in two accounts are two scopes.
    type Change = { account: number; strategy: number | null; state: string };
    const change = fc.record({
      account: fc.integer({ min: 0, max: 3 }),
      strategy: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
      state: fc.constantFrom('ACTIVE', 'HALTED', 'REDUCING'),
    });
    fc.assert(
      fc.property(fc.array(change, { maxLength: 40 }), (changes: Change[]) => {
        const metrics = new MemoryMetrics();
        const handlers: ((e: unknown, accountId: string) => void)[] = [];
        const bus = {
          subscribe: <T>(pattern: string, h: (e: T, accountId: string) => void) => {
            if (pattern === Topics.risk) handlers.push(h as (e: unknown, a: string) => void);
            return () => undefined;
          },
        };
        countTradingEvents(bus, metrics, { venue: 'PAPER' });
        const model = new Map<string, string>();
        for (const c of changes) {
          const key = c.strategy === null ? `a${c.account}` : `a${c.account}/s${c.strategy}`;
          model.set(key, c.state);
          for (const h of handlers)
            h(
              {
                kind: 'TradingStateChanged',
                scope: c.strategy === null ? 'GLOBAL' : 'STRATEGY',
                strategyId: c.strategy === null ? null : `s${c.strategy}`,
                state: c.state,
                actor: 'risk',
                ts: 1,
              },
              `acc-${c.account}`,
            );
        }
        for (const state of ['HALTED', 'REDUCING']) {
          const count = (strategies: boolean) =>
            [...model].filter(([k, v]) => k.includes('/') === strategies && v === state).length;
          const ks = (scope: string) =>
            metrics.value('kairos_kill_switch_engaged', { scope, state });
          expect([ks('global'), ks('account'), ks('strategy')]).toEqual([
            0,
            count(false),
            count(true),
          ]);
        }
      }),
    );
  });

  it('killSwitchMetrics: eight series, each the number of scopes of its kind in its state', () => {
    const states = fc.constantFrom('ACTIVE', 'HALTED', 'REDUCING') as fc.Arbitrary<
      'ACTIVE' | 'HALTED' | 'REDUCING'
    >;
    fc.assert(
      fc.property(
        states,
        fc.array(states),
        fc.array(states),
        fc.array(states),
        (global, accounts, users, strategies) => {
          const metrics = new MemoryMetrics();
          killSwitchMetrics(metrics)({ global, accounts, users, strategies });
          for (const state of ['HALTED', 'REDUCING']) {
            const ks = (scope: string) =>
              metrics.value('kairos_kill_switch_engaged', { scope, state });
            expect([ks('global'), ks('account'), ks('user'), ks('strategy')]).toEqual([
              global === state ? 1 : 0,
              accounts.filter((s) => s === state).length,
              users.filter((s) => s === state).length,
              strategies.filter((s) => s === state).length,
            ]);
          }
        },
      ),
    );
  });

  it('stops counting once stopped', () => {
    const { metrics, publish, counted } = setup();
    counted.stop();
    publish({ kind: 'OrderInitialized', ...ids(1), order: {} });
    expect(metrics.value('kairos_orders_total', { venue: 'PAPER', status: 'INITIALIZED' })).toBe(
      undefined,
    );
  });

  it('venue connection: up, down, reconnects', () => {
    const metrics = new MemoryMetrics();
    const conn = venueConnection(metrics, 'binance');
    conn.up('market-data');
    conn.down('market-data');
    const up = () =>
      metrics.value('kairos_venue_connected', { venue: 'binance', channel: 'market-data' });
    expect(up()).toBe(0);
    conn.reconnected('market-data');
    expect(up()).toBe(1);
    expect(
      metrics.value('kairos_venue_reconnects_total', { venue: 'binance', channel: 'market-data' }),
    ).toBe(1);
  });
});

describe('trading metrics without the OMS view', () => {
  it('tells a partial fill from the last one by the quantity the order was made with', async () => {
    const { default: Big } = await import('big.js');
    const metrics = new MemoryMetrics();
    const bus = new MessageBus();
    countTradingEvents(bus, metrics, { venue: 'binance' });
    const publish = (e: object) => bus.publish(Topics.orderEvents('sma'), e as OrderEvent);
    publish({ kind: 'OrderInitialized', ...ids(1), order: { quantity: new Big('1') } });
    publish({ kind: 'OrderFilled', ...ids(1), fill: { quantity: new Big('0.4') } });
    publish({ kind: 'OrderFilled', ...ids(1), fill: { quantity: new Big('0.6') } });
    const v = (status: string) =>
      metrics.value('kairos_orders_total', { venue: 'binance', status });
    expect([v('PARTIALLY_FILLED'), v('FILLED')]).toEqual([1, 1]);
  });
});

describe('venue status lines', () => {
  it('read as connection state per channel', async () => {
    const { venueLineMetrics } = await import('../../../src/system/trading-metrics.js');
    const metrics = new MemoryMetrics();
    const onLog = venueLineMetrics(venueConnection(metrics, 'binance'));
    const up = (channel: string) =>
      metrics.value('kairos_venue_connected', { venue: 'binance', channel });
    const reconnects = (channel: string) =>
      metrics.value('kairos_venue_reconnects_total', { venue: 'binance', channel });
    onLog('binance BTC/USDT 1m: candles stream failed (1 in a row): socket hang up');
    expect(up('market-data')).toBe(0);
    onLog('binance BTC/USDT 1m: candles stream reconnected');
    expect([up('market-data'), reconnects('market-data')]).toEqual([1, 1]);
    onLog('binance: stream failed (2 in a row): closed');
    expect(up('orders')).toBe(0);
    onLog('binance: private stream reconnected');
    expect([up('orders'), reconnects('orders')]).toEqual([1, 1]);
    onLog('binance: create x-1: rejected INSUFFICIENT_FUNDS: no cash');
    expect([reconnects('market-data'), reconnects('orders')]).toEqual([1, 1]);
  });
});
