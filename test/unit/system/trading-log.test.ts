import { createLogger } from '../../../src/monitoring/logger.js';
import {
  alertLogger,
  logReconciliation,
  logTradingEvents,
} from '../../../src/system/trading-log.js';
import { MessageBus } from '../../../src/trading/bus/message-bus.js';
import { Topics } from '../../../src/trading/bus/topics.js';
import { money } from '../../../src/trading/core/money.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON log lines, checked field by field
type Json = any;

function capture(level: 'debug' | 'info' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, write: (l) => lines.push(l) });
  return { logger, json: (): Json[] => lines.map((l) => JSON.parse(l) as Json) };
}

const ids = {
  accountId: 'acct-1',
  clientOrderId: 'sma-1',
  strategyId: 'sma',
  instrumentId: 'BTC/USDT',
  ts: 1,
};
const num = (s: string) => ({ toString: () => s });

describe('trading log: what an operator reads from the bus', () => {
  it('logs every order state change with its ids and venue; denials and rejections at warn', () => {
    const { logger, json } = capture();
    const bus = new MessageBus();
    const stop = logTradingEvents(bus, logger, 'binance');
    const events = [
      {
        kind: 'OrderInitialized',
        ...ids,
        order: {
          side: 'BUY',
          type: 'LIMIT',
          quantity: num('0.5'),
          price: num('100'),
          timeInForce: 'GTC',
        },
      },
      { kind: 'OrderDenied', ...ids, reason: 'RISK_MAX_NOTIONAL', message: 'over 1000' },
      { kind: 'OrderSubmitted', ...ids },
      { kind: 'OrderAccepted', ...ids, venueOrderId: 'V1' },
      { kind: 'OrderRejected', ...ids, reason: 'INSUFFICIENT_FUNDS', message: 'no cash' },
      { kind: 'OrderUnknown', ...ids, reason: 'TIMEOUT' },
      { kind: 'OrderPendingCancel', ...ids },
      { kind: 'OrderCancelRejected', ...ids, reason: 'TOO_LATE' },
      { kind: 'OrderCanceled', ...ids, reason: 'USER' },
      { kind: 'OrderExpired', ...ids, reason: 'GTD' },
      {
        kind: 'OrderFilled',
        ...ids,
        fill: {
          tradeId: 't1',
          side: 'BUY',
          quantity: num('0.5'),
          price: num('100'),
          fee: money('0.05', 'USDT'),
          liquidity: 'TAKER',
        },
      },
    ] as unknown as OrderEvent[];
    for (const e of events) bus.publish(Topics.orderEvents('sma'), e);
    stop();
    bus.publish(Topics.orderEvents('sma'), events[2]!);
    const lines = json();
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['info', 'order initialized'],
      ['warn', 'order denied by risk'],
      ['info', 'order submitted'],
      ['info', 'order accepted'],
      ['warn', 'order rejected by the venue'],
      ['warn', 'order outcome unknown'],
      ['info', 'order cancel sent'],
      ['warn', 'order cancel rejected'],
      ['info', 'order canceled'],
      ['info', 'order expired'],
      ['info', 'order filled'],
    ]);
    for (const l of lines)
      expect(l).toMatchObject({
        component: 'orders',
        venue: 'binance',
        accountId: 'acct-1',
        clientOrderId: 'sma-1',
        strategyId: 'sma',
      });
    expect(lines[1]).toMatchObject({ reason: 'RISK_MAX_NOTIONAL', detail: 'over 1000' });
    expect(lines[10]).toMatchObject({
      tradeId: 't1',
      quantity: '0.5',
      price: '100',
      fee: '0.05 USDT',
    });
    // Each line's keys, in order: the head, the logger's, the ids, then the event's own.
    const head = ['time', 'level', 'message', 'component', 'venue'];
    const idKeys = ['accountId', 'clientOrderId', 'strategyId', 'instrumentId', 'event'];
    expect(lines.map((l) => Object.keys(l).join(','))).toEqual(
      [
        ['side', 'type', 'quantity', 'price', 'timeInForce'],
        ['reason', 'detail'],
        [],
        ['venueOrderId'],
        ['reason', 'detail'],
        ['reason'],
        [],
        ['reason'],
        ['reason'],
        ['reason'],
        ['tradeId', 'side', 'quantity', 'price', 'fee', 'liquidity'],
      ].map((own) => [...head, ...idKeys, ...own].join(',')),
    );
    expect(lines.map((l) => l.event)).toEqual(events.map((e) => e.kind));
    expect(lines[0]).toMatchObject({ instrumentId: 'BTC/USDT', quantity: '0.5', price: '100' });
  });

  it('logs the kill switch at warn and other trading states at info', () => {
    const { logger, json } = capture();
    const bus = new MessageBus();
    logTradingEvents(bus, logger, 'PAPER');
    const change = {
      kind: 'TradingStateChanged',
      scope: 'GLOBAL',
      strategyId: null,
      actor: 'user:7',
      ts: 1,
    };
    bus.publish(Topics.risk, { ...change, state: 'HALTED' });
    bus.publish(Topics.risk, { ...change, state: 'ACTIVE' });
    bus.publish(Topics.risk, { kind: 'SomethingElse' });
    expect(json().map((l) => [l.level, l.message, l.component, l.state, l.actor])).toEqual([
      ['warn', 'kill switch engaged: trading halted', 'risk', 'HALTED', 'user:7'],
      ['info', 'trading state ACTIVE', 'risk', 'ACTIVE', 'user:7'],
    ]);
    expect(json()[0]).not.toHaveProperty('accountId');
  });

  it('names the account of a trading-state change when the bus says whose core published it', () => {
    const { logger, json } = capture();
    let handler: ((e: unknown, accountId?: string) => void) | undefined;
    const bus = {
      subscribe: <T>(pattern: string, h: (e: T, accountId?: string) => void) => {
        if (pattern === Topics.risk) handler = h as typeof handler;
        return () => undefined;
      },
    };
    logTradingEvents(bus, logger, 'PAPER');
    const change = { kind: 'TradingStateChanged', scope: 'GLOBAL', strategyId: null, ts: 1 };
    handler!({ ...change, state: 'HALTED', actor: 'user:7' }, 'acc-1');
    expect(json().map((l) => [l.message, l.accountId, l.scope])).toEqual([
      ['kill switch engaged: trading halted', 'acc-1', 'GLOBAL'],
    ]);
  });

  it('logs alerts by severity and reconciliations by outcome', () => {
    const { logger, json } = capture('debug');
    const alert = alertLogger(logger);
    alert({ kind: 'Alert', code: 'RECONCILIATION_DRIFT', message: 'a: 1 here, 2 there', ts: 1 });
    alert({ kind: 'Alert', code: 'VENUE_RATE_LIMITED', message: 'binance: 429', ts: 1 });
    logReconciliation(logger, { resolved: [], fillsApplied: 0, drift: [] }, 'PAPER');
    logReconciliation(logger, { resolved: ['a'], fillsApplied: 2, drift: [] }, 'PAPER');
    logReconciliation(logger, { resolved: [], fillsApplied: 0, drift: ['a: off'] }, 'PAPER');
    expect(json().map((l) => [l.level, l.component, l.message])).toEqual([
      ['error', 'alerts', 'alert RECONCILIATION_DRIFT'],
      ['warn', 'alerts', 'alert VENUE_RATE_LIMITED'],
      ['debug', 'reconciliation', 'reconciled with the venue: nothing to do'],
      ['info', 'reconciliation', 'reconciled with the venue'],
      ['warn', 'reconciliation', 'reconciled with the venue: drift'],
    ]);
    expect(json()[3]).toMatchObject({
      venue: 'PAPER',
      resolved: 1,
      fillsApplied: 2,
      clientOrderIds: ['a'],
    });
  });
});
