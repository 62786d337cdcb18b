import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Endpoints, Topics } from '../../../../src/trading/bus/topics.js';
import { Dec } from '../../../../src/trading/core/decimal.js';
import { ExecutionEngine } from '../../../../src/trading/execution/execution-engine.js';
import { makeOrder } from '../../../../src/trading/execution/order-factory.js';
import type { OrderRequest } from '../../../../src/trading/execution/order-request.js';
import { flatPosition } from '../../../../src/trading/model/position.js';
import { RiskEngine } from '../../../../src/trading/risk/risk-engine.js';
import { instrument } from '../../../support/builders.js';

const inst = instrument({
  takerFee: '0.001',
  makerFee: '0.001',
  minNotional: '5',
  minQuantity: '2',
});

function setup(
  cash = '1000',
  position = '0',
  allowShort = false,
  venueOrderRate?: (clientOrderId: string) => string | null,
) {
  const bus = new MessageBus();
  const sent: string[] = [];
  const exec = new ExecutionEngine(bus, () => ({
    submit: (o) => sent.push(o.clientOrderId),
    cancel: () => undefined,
  }));
  new RiskEngine(
    bus,
    {
      instrument: (id) => (id === inst.id ? inst : undefined),
      cash: () => Dec(cash),
      position: () => ({ ...flatPosition(inst.id), quantity: Dec(position) }),
      open: exec.open,
      lastPrice: () => Dec('10'),
    },
    venueOrderRate ? { allowShort, venueOrderRate } : { allowShort },
  );
  let n = 0;
  const submit = (req: OrderRequest) => {
    const { order, denial } = makeOrder(req, inst, {
      clientOrderId: `c${++n}`,
      accountId: 'paper',
      strategyId: 's',
      ts: 0,
    });
    exec.add(order);
    if (denial) exec.deny(order, denial, 0);
    else bus.send(Endpoints.risk, { kind: 'SubmitOrder', order, ts: 0 });
    const o = exec.order(order.clientOrderId)!;
    return o.status === 'DENIED' ? o.reason : 'SENT';
  };
  return { submit, sent };
}

describe('RiskEngine', () => {
  it('hears order events only when its settings have limits (a backtest has none, and never will)', () => {
    const sources = {
      instrument: () => inst,
      cash: () => Dec('1000'),
      position: () => flatPosition(inst.id),
      open: new ExecutionEngine(new MessageBus(), () => ({
        submit: () => undefined,
        cancel: () => undefined,
      })).open,
      lastPrice: () => Dec('10'),
    };
    const without = new MessageBus();
    new RiskEngine(without, sources, { allowShort: false });
    expect(without.hasSubscribers(Topics.orderEvents('s'))).toBe(false);
    const withLimits = new MessageBus();
    new RiskEngine(withLimits, sources, {
      allowShort: false,
      limits: { global: {}, strategies: {} },
    });
    expect(withLimits.hasSubscribers(Topics.orderEvents('s'))).toBe(true);
  });

  it('asks the venue order rate last: past it an order is denied VENUE_ORDER_RATE; one denied before takes no slot', () => {
    const asked: string[] = [];
    const r = setup('1000', '0', false, (id) => {
      asked.push(id);
      return asked.length > 2 ? 'the venue takes 2 orders per 10 s; the next in 9 s' : null;
    });
    expect(r.submit({ side: 'BUY', quantity: '2' })).toBe('SENT');
    expect(r.submit({ side: 'BUY', quantity: '1000' })).toBe('INSUFFICIENT_BALANCE');
    expect(r.submit({ side: 'BUY', quantity: '2' })).toBe('SENT');
    expect(r.submit({ side: 'BUY', quantity: '2' })).toBe('VENUE_ORDER_RATE');
    expect(asked).toEqual(['c1', 'c3', 'c4']);
    expect(r.sent).toEqual(['c1', 'c3']);
  });

  it('values a market buy at the last price plus the taker fee: exactly enough passes, a cent short is denied', () => {
    expect(setup('100.1').submit({ side: 'BUY', quantity: '10' })).toBe('SENT');
    expect(setup('100.09').submit({ side: 'BUY', quantity: '10' })).toBe('INSUFFICIENT_BALANCE');
  });

  it('counts open buy orders against cash', () => {
    const r = setup('150');
    expect(r.submit({ side: 'BUY', quantity: '10' })).toBe('SENT');
    expect(r.submit({ side: 'BUY', quantity: '10' })).toBe('INSUFFICIENT_BALANCE');
    expect(r.sent).toEqual(['c1']);
  });

  it('checks precision and minimums', () => {
    const r = setup();
    expect(r.submit({ side: 'BUY', quantity: '0.5' })).toBe('QUANTITY_ROUNDS_TO_ZERO');
    expect(r.submit({ side: 'BUY', quantity: '1' })).toBe('QUANTITY_BELOW_MIN');
    expect(r.submit({ side: 'BUY', quantity: '2', price: '2' })).toBe('NOTIONAL_BELOW_MIN');
    expect(r.submit({ side: 'BUY', quantity: 'abc' })).toBe('QUANTITY_INVALID');
    expect(r.submit({ side: 'BUY', quantity: '2', type: 'LIMIT' })).toBe('PRICE_INVALID');
    expect(r.submit({ side: 'BUY', quantity: '2', type: 'MARKET', postOnly: true })).toBe(
      'INVALID_ORDER_OPTIONS',
    );
  });

  it('refuses sells beyond the position (open sells counted) unless shorting is allowed, and reduce-only growth', () => {
    const r = setup('1000', '5');
    expect(r.submit({ side: 'SELL', quantity: '3' })).toBe('SENT');
    expect(r.submit({ side: 'SELL', quantity: '3' })).toBe('INSUFFICIENT_POSITION');
    expect(setup('1000', '5', true).submit({ side: 'SELL', quantity: '30' })).toBe('SENT');
    expect(setup('1000', '5').submit({ side: 'BUY', quantity: '2', reduceOnly: true })).toBe(
      'REDUCE_ONLY_WOULD_INCREASE',
    );
    expect(setup('1000', '5').submit({ side: 'SELL', quantity: '2', reduceOnly: true })).toBe(
      'SENT',
    );
  });
});

describe('cash reserved by resting buys, per quote currency', () => {
  // Maker 0.1 %, taker 0.3 %, a 0.05 tick and a 0.01 lot; one instrument quoted in USD, one in EUR.
  const spec = {
    base: 'ETH',
    tickSize: '0.05',
    lotSize: '0.01',
    makerFee: '0.001',
    takerFee: '0.003',
  };
  const usd = instrument({ ...spec, id: 'ETH/USD', quote: 'USD' });
  const eur = instrument({ ...spec, id: 'ETH/EUR', quote: 'EUR' });

  function twoQuotes(cash: Record<string, string>) {
    const bus = new MessageBus();
    const exec = new ExecutionEngine(bus, () => ({
      submit: () => undefined,
      cancel: () => undefined,
    }));
    new RiskEngine(
      bus,
      {
        instrument: (id) => [usd, eur].find((i) => i.id === id),
        cash: (currency) => Dec(cash[currency] ?? '0'),
        position: (id) => flatPosition(id),
        open: exec.open,
        lastPrice: () => Dec('100'),
      },
      { allowShort: false },
    );
    let n = 0;
    return (inst: typeof usd, price: string, quantity: string) => {
      const { order } = makeOrder({ side: 'BUY', type: 'LIMIT', price, quantity }, inst, {
        clientOrderId: `c${++n}`,
        accountId: 'paper',
        strategyId: 's',
        ts: 0,
      });
      exec.add(order);
      bus.send(Endpoints.risk, { kind: 'SubmitOrder', order, ts: 0 });
      const o = exec.order(order.clientOrderId)!;
      return o.status === 'DENIED' ? o.reason : 'SENT';
    };
  }

  it('a resting USD buy holds USD cash (price × quantity plus the taker fee), never EUR cash', () => {
    const buy = twoQuotes({ USD: '601.8', EUR: '601.8' });
    expect(buy(usd, '100', '3')).toBe('SENT'); // holds 300.9 USD
    expect(buy(eur, '100', '6')).toBe('SENT'); // 601.8 EUR: all of the EUR, none of it held
    expect(buy(usd, '100', '3')).toBe('SENT'); // the other 300.9 USD
    expect(buy(usd, '0.05', '0.01')).toBe('INSUFFICIENT_BALANCE');
    expect(buy(eur, '0.05', '0.01')).toBe('INSUFFICIENT_BALANCE');
  });
});
