import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { Endpoints } from '../../../../src/trading/bus/topics.js';
import { Dec, ZERO, type Decimal } from '../../../../src/trading/core/decimal.js';
import { ExecutionEngine } from '../../../../src/trading/execution/execution-engine.js';
import { makeOrder } from '../../../../src/trading/execution/order-factory.js';
import type { OrderRequest } from '../../../../src/trading/execution/order-request.js';
import type { Instrument } from '../../../../src/trading/model/instrument.js';
import { leavesQuantity } from '../../../../src/trading/model/order.js';
import { flatPosition } from '../../../../src/trading/model/position.js';
import { RiskEngine } from '../../../../src/trading/risk/risk-engine.js';
import type { LimitSet } from '../../../../src/trading/risk/risk-limits.js';
import { fill, instrument } from '../../../support/builders.js';

const A = instrument({ id: 'A/USD', takerFee: '0', makerFee: '0' });
const B = instrument({ id: 'B/USD', takerFee: '0', makerFee: '0' });

/** Two instruments, a real execution engine, positions moved by fills, a settable last price. */
function setup(limits: LimitSet, cash = '1e12') {
  const bus = new MessageBus();
  const canceled: string[] = [];
  const positions = new Map<string, Decimal>();
  const last = new Map<string, Decimal | null>([
    [A.id, Dec(100)],
    [B.id, Dec(100)],
  ]);
  const exec = new ExecutionEngine(bus, () => ({
    submit: () => undefined,
    cancel: (id) => canceled.push(id),
  }));
  const risk = new RiskEngine(
    bus,
    {
      instrument: (id) => [A, B].find((i) => i.id === id),
      cash: () => Dec(cash),
      position: (id) => ({ ...flatPosition(id), quantity: positions.get(id) ?? ZERO }),
      open: exec.open,
      lastPrice: (id) => last.get(id) ?? null,
    },
    { allowShort: true, limits },
  );
  let n = 0;
  const submit = (
    req: OrderRequest,
    {
      ts = 0,
      strategyId = 's',
      inst = A,
    }: { ts?: number; strategyId?: string; inst?: Instrument } = {},
  ) => {
    const { order } = makeOrder(req, inst, {
      clientOrderId: `c${++n}`,
      accountId: 'paper',
      strategyId,
      ts,
    });
    exec.add(order);
    bus.send(Endpoints.risk, { kind: 'SubmitOrder', order, ts });
    const o = exec.order(order.clientOrderId)!;
    return { id: o.clientOrderId, reason: o.status === 'DENIED' ? o.reason : 'SENT' };
  };
  const fillSome = (id: string, ts: number, qty?: string) => {
    const o = exec.order(id)!;
    const q = qty === undefined ? leavesQuantity(o) : Dec(qty);
    exec.process({
      kind: 'OrderFilled',
      clientOrderId: id,
      accountId: 'paper',
      strategyId: o.strategyId,
      instrumentId: o.instrumentId,
      ts,
      fill: {
        ...fill(o.side, '100', q, '0', `t-${id}-${ts}`),
        clientOrderId: id,
        instrumentId: o.instrumentId,
        ts,
      },
    });
    const p = positions.get(o.instrumentId) ?? ZERO;
    positions.set(o.instrumentId, o.side === 'BUY' ? p.plus(q) : p.minus(q));
  };
  const cancel = (id: string, ts: number) =>
    bus.send(Endpoints.risk, {
      kind: 'CancelOrder',
      clientOrderId: id,
      strategyId: exec.order(id)!.strategyId,
      ts,
    });
  return { risk, exec, submit, fillSome, cancel, canceled, last };
}

describe('window price collar', () => {
  it('denies a price more than windowCollarPct from the window low or high (PRICE_OUTSIDE_WINDOW_COLLAR)', () => {
    const r = setup({
      global: { windowCollarPct: Dec(5), collarWindowMs: 10_000 },
      strategies: {},
    });
    // Last prices reach the engine on every order: 100 at t=0, 104 at t=1000.
    expect(r.submit({ side: 'BUY', quantity: '1' }, { ts: 0 }).reason).toBe('SENT');
    r.last.set(A.id, Dec(104));
    expect(r.submit({ side: 'BUY', quantity: '1', price: '105.01' }, { ts: 1000 }).reason).toBe(
      'PRICE_OUTSIDE_WINDOW_COLLAR',
    );
    expect(r.submit({ side: 'BUY', quantity: '1', price: '105' }, { ts: 1000 }).reason).toBe(
      'SENT',
    );
    // 98.79 is more than 5% below the high 104; 98.8 is just inside.
    expect(r.submit({ side: 'SELL', quantity: '1', price: '98.79' }, { ts: 1000 }).reason).toBe(
      'PRICE_OUTSIDE_WINDOW_COLLAR',
    );
    expect(r.submit({ side: 'SELL', quantity: '1', price: '98.8' }, { ts: 1000 }).reason).toBe(
      'SENT',
    );
    // The trigger price of a stop counts too.
    expect(
      r.submit(
        { side: 'BUY', quantity: '1', type: 'STOP_MARKET', triggerPrice: '106' },
        { ts: 1000 },
      ).reason,
    ).toBe('PRICE_OUTSIDE_WINDOW_COLLAR');
    // Once 100 has left the window, the band follows 104 only.
    expect(r.submit({ side: 'BUY', quantity: '1', price: '109.2' }, { ts: 10_000 }).reason).toBe(
      'SENT',
    );
    expect(r.submit({ side: 'BUY', quantity: '1', price: '109.21' }, { ts: 10_000 }).reason).toBe(
      'PRICE_OUTSIDE_WINDOW_COLLAR',
    );
    // Other instruments keep their own window.
    expect(
      r.submit({ side: 'BUY', quantity: '1', price: '105' }, { ts: 10_000, inst: B }).reason,
    ).toBe('SENT');
  });

  it('takes prices fed with observePrice, and needs a reference price', () => {
    const r = setup({ global: { windowCollarPct: Dec(2) }, strategies: {} });
    r.risk.observePrice(A.id, Dec(90), 0);
    expect(r.submit({ side: 'BUY', quantity: '1', price: '100' }, { ts: 1 }).reason).toBe(
      'PRICE_OUTSIDE_WINDOW_COLLAR',
    );
    // Default window: one minute.
    expect(r.submit({ side: 'BUY', quantity: '1', price: '100' }, { ts: 60_000 }).reason).toBe(
      'SENT',
    );
    r.last.set(B.id, null);
    expect(
      r.submit({ side: 'BUY', quantity: '1', price: '100' }, { ts: 60_000, inst: B }).reason,
    ).toBe('NO_REFERENCE_PRICE');
  });
});

describe('repeated-execution throttle', () => {
  it('denies a strategy the next order on a side once maxRepeatedExecutions executed in the window', () => {
    const r = setup({
      global: {},
      strategies: { s: { maxRepeatedExecutions: 3, repeatedExecutionWindowMs: 1000 } },
    });
    for (const ts of [0, 100, 200]) {
      const { id, reason } = r.submit({ side: 'BUY', quantity: '2' }, { ts });
      expect(reason).toBe('SENT');
      // Two partial fills of one order are one execution.
      r.fillSome(id, ts, '1');
      r.fillSome(id, ts + 1, '1');
    }
    expect(r.submit({ side: 'BUY', quantity: '1' }, { ts: 300 }).reason).toBe(
      'REPEATED_EXECUTION_THROTTLE',
    );
    // The other side, another instrument and another strategy are not throttled.
    expect(r.submit({ side: 'SELL', quantity: '1' }, { ts: 300 }).reason).toBe('SENT');
    expect(r.submit({ side: 'BUY', quantity: '1' }, { ts: 300, inst: B }).reason).toBe('SENT');
    expect(r.submit({ side: 'BUY', quantity: '1' }, { ts: 300, strategyId: 'x' }).reason).toBe(
      'SENT',
    );
    // The first execution leaves the window at t=1000.
    expect(r.submit({ side: 'BUY', quantity: '1' }, { ts: 999 }).reason).toBe(
      'REPEATED_EXECUTION_THROTTLE',
    );
    expect(r.submit({ side: 'BUY', quantity: '1' }, { ts: 1000 }).reason).toBe('SENT');
  });

  it('counts every strategy at account scope', () => {
    const r = setup({ global: { maxRepeatedExecutions: 2 }, strategies: {} });
    r.fillSome(r.submit({ side: 'SELL', quantity: '1' }, { strategyId: 'a' }).id, 0);
    expect(r.submit({ side: 'SELL', quantity: '1' }, { strategyId: 'b', ts: 1 }).reason).toBe(
      'SENT',
    );
    r.fillSome('c2', 1);
    expect(r.submit({ side: 'SELL', quantity: '1' }, { strategyId: 'c', ts: 2 }).reason).toBe(
      'REPEATED_EXECUTION_THROTTLE',
    );
  });
});

describe('instrument scope', () => {
  const limits: LimitSet = {
    global: { maxPosition: Dec(10) },
    strategies: { tight: { maxPosition: Dec(2) } },
    instruments: {
      [A.id]: {
        maxPosition: Dec(5),
        maxOrderQuantity: Dec(4),
        maxOrderValue: Dec(350),
        priceCollarPct: Dec(1),
      },
    },
  };

  it('applies an instrument limit to that instrument only, every strategy counted', () => {
    const r = setup(limits);
    expect(r.submit({ side: 'BUY', quantity: '5' }).reason).toBe('ORDER_QUANTITY_LIMIT');
    expect(r.submit({ side: 'BUY', quantity: '4' }).reason).toBe('ORDER_VALUE_LIMIT');
    expect(r.submit({ side: 'BUY', quantity: '1', price: '101.01' }).reason).toBe(
      'PRICE_OUTSIDE_COLLAR',
    );
    expect(r.submit({ side: 'BUY', quantity: '3', price: '101' }).reason).toBe('SENT');
    // Another strategy's 3 would make 6 > 5 in A.
    expect(r.submit({ side: 'BUY', quantity: '3' }, { strategyId: 'b' }).reason).toBe(
      'POSITION_LIMIT',
    );
    expect(r.submit({ side: 'BUY', quantity: '2' }, { strategyId: 'b' }).reason).toBe('SENT');
    // B has only the account's limits.
    expect(r.submit({ side: 'BUY', quantity: '9', price: '101.01' }, { inst: B }).reason).toBe(
      'SENT',
    );
    expect(r.submit({ side: 'BUY', quantity: '2' }, { inst: B }).reason).toBe('POSITION_LIMIT');
  });

  it('lets the stricter scope win', () => {
    const r = setup(limits);
    expect(r.submit({ side: 'BUY', quantity: '3' }, { strategyId: 'tight' }).reason).toBe(
      'POSITION_LIMIT',
    );
    expect(r.submit({ side: 'BUY', quantity: '2' }, { strategyId: 'tight' }).reason).toBe('SENT');
    // Short side: the instrument's 5 binds before the account's 10 (open orders counted).
    expect(r.submit({ side: 'SELL', quantity: '3' }).reason).toBe('SENT');
    expect(r.submit({ side: 'SELL', quantity: '2' }).reason).toBe('SENT');
    expect(r.submit({ side: 'SELL', quantity: '1' }).reason).toBe('POSITION_LIMIT');
  });
});

describe("this account's own limits", () => {
  it('apply beside every account’s, the stricter binding, every strategy and instrument counted', () => {
    const r = setup({
      global: { maxPosition: Dec(10) },
      strategies: {},
      account: { maxPosition: Dec(3) },
    });
    // The account's 3 binds the position across strategies and instruments' own counts.
    expect(r.submit({ side: 'BUY', quantity: '2' }, { strategyId: 'a' }).reason).toBe('SENT');
    expect(r.submit({ side: 'BUY', quantity: '2' }, { strategyId: 'b' }).reason).toBe(
      'POSITION_LIMIT',
    );
    expect(r.submit({ side: 'BUY', quantity: '1' }, { strategyId: 'b' }).reason).toBe('SENT');
    // Every account's 4 still binds the quantity where the account's own 6 would allow it.
    const q = setup({
      global: { maxOrderQuantity: Dec(4) },
      strategies: {},
      account: { maxOrderQuantity: Dec(6) },
    });
    expect(q.submit({ side: 'SELL', quantity: '5' }).reason).toBe('ORDER_QUANTITY_LIMIT');
    expect(q.submit({ side: 'SELL', quantity: '4' }).reason).toBe('SENT');
  });

  it('count messages of the whole account', () => {
    const r = setup({ global: {}, strategies: {}, account: { maxMessagesPerSecond: 2 } });
    expect(r.submit({ side: 'BUY', quantity: '1' }, { strategyId: 'a' }).reason).toBe('SENT');
    expect(r.submit({ side: 'BUY', quantity: '1' }, { strategyId: 'b', inst: B }).reason).toBe(
      'SENT',
    );
    expect(r.submit({ side: 'BUY', quantity: '1' }, { strategyId: 'c' }).reason).toBe(
      'MESSAGE_THROTTLE',
    );
  });
});

describe('message throttle scopes', () => {
  it('counts the account across strategies, orders and cancels', () => {
    const r = setup({ global: { maxMessagesPerSecond: 3 }, strategies: {} });
    const a = r.submit({ side: 'BUY', quantity: '1', price: '99' }, { strategyId: 'a' });
    expect(a.reason).toBe('SENT');
    expect(r.submit({ side: 'BUY', quantity: '1' }, { strategyId: 'b' }).reason).toBe('SENT');
    r.cancel(a.id, 10);
    expect(r.canceled).toEqual([a.id]);
    expect(r.submit({ side: 'BUY', quantity: '1' }, { strategyId: 'c', ts: 20 }).reason).toBe(
      'MESSAGE_THROTTLE',
    );
  });

  it('counts a strategy and an instrument on their own', () => {
    const r = setup({
      global: {},
      strategies: { a: { maxMessagesPerSecond: 2 } },
      instruments: { [B.id]: { maxMessagesPerSecond: 1 } },
    });
    expect(r.submit({ side: 'BUY', quantity: '1' }, { strategyId: 'a' }).reason).toBe('SENT');
    expect(r.submit({ side: 'BUY', quantity: '2' }, { strategyId: 'b' }).reason).toBe('SENT');
    expect(r.submit({ side: 'BUY', quantity: '3' }, { strategyId: 'a' }).reason).toBe('SENT');
    expect(r.submit({ side: 'BUY', quantity: '4' }, { strategyId: 'a' }).reason).toBe(
      'MESSAGE_THROTTLE',
    );
    expect(r.submit({ side: 'BUY', quantity: '5' }, { strategyId: 'b' }).reason).toBe('SENT');
    const b = r.submit({ side: 'BUY', quantity: '1', price: '99' }, { strategyId: 'b', inst: B });
    expect(b.reason).toBe('SENT');
    expect(
      r.submit({ side: 'BUY', quantity: '1' }, { strategyId: 'b', inst: B, ts: 999 }).reason,
    ).toBe('MESSAGE_THROTTLE');
    // A cancel of an order in B counts for B.
    r.cancel(b.id, 1000);
    expect(
      r.submit({ side: 'BUY', quantity: '1' }, { strategyId: 'b', inst: B, ts: 1500 }).reason,
    ).toBe('MESSAGE_THROTTLE');
    expect(
      r.submit({ side: 'BUY', quantity: '1' }, { strategyId: 'b', inst: B, ts: 2000 }).reason,
    ).toBe('SENT');
  });
});

describe('what the gate remembers', () => {
  it.each([
    ['the longest first', ['long', 'short']],
    ['the longest last', ['short', 'long']],
  ])('keeps prices for the longest collar window any scope needs (%s)', (_, order) => {
    const windows: Record<string, number> = { long: 60_000, short: 1_000 };
    const r = setup({
      global: {},
      strategies: Object.fromEntries(
        order.map((s) => [s, { windowCollarPct: Dec(5), collarWindowMs: windows[s] }]),
      ),
    });
    expect(r.submit({ side: 'BUY', quantity: '1' }, { strategyId: 'long', ts: 0 }).reason).toBe(
      'SENT',
    );
    r.last.set(A.id, Dec(120));
    // A buy at 120 is more than 5 % above the low 100 seen 30 s ago: inside the long window,
    // not the short one, which has seen only 120.
    const at = { ts: 30_000 };
    expect(
      r.submit({ side: 'BUY', quantity: '1', price: '120' }, { ...at, strategyId: 'long' }).reason,
    ).toBe('PRICE_OUTSIDE_WINDOW_COLLAR');
    expect(
      r.submit({ side: 'BUY', quantity: '1', price: '120' }, { ...at, strategyId: 'short' }).reason,
    ).toBe('SENT');
  });

  it('remembers orders for the longest duplicate window, however many it has seen', () => {
    const r = setup({
      global: {},
      strategies: { long: { duplicateWindowMs: 60_000 }, short: { duplicateWindowMs: 1_000 } },
    });
    const resting = { side: 'BUY', quantity: '1', price: '50' } as const;
    expect(r.submit(resting, { strategyId: 'long', ts: 0 }).reason).toBe('SENT');
    // Ten thousand other orders make the gate forget what no window still needs.
    for (let i = 2; i <= 10_001; i++)
      r.submit(
        { side: 'BUY', quantity: String(i), price: '50' },
        { strategyId: 'short', ts: 5_000 },
      );
    expect(r.submit(resting, { strategyId: 'long', ts: 5_000 }).reason).toBe('DUPLICATE_ORDER');
    expect(r.submit(resting, { strategyId: 'long', ts: 60_000 }).reason).toBe('SENT');
  });
});

describe('checking an order that is already open', () => {
  it('counts its own quantity, cash and place in the open orders once', () => {
    // Exactly enough cash for the one resting buy, a limit of one open order and a position of 2.
    const r = setup({ global: { maxPosition: Dec(2), maxOpenOrders: 1 }, strategies: {} }, '180');
    const o = r.submit({ side: 'BUY', quantity: '2', price: '90' }, { ts: 0 });
    expect(o.reason).toBe('SENT');
    const open = r.exec.order(o.id)!;
    expect(r.exec.open.get(o.id)).toBeDefined();
    expect(r.risk.check(open, 1)).toBeNull();
    // A second order is over every one of those limits.
    expect(r.submit({ side: 'BUY', quantity: '1', price: '90' }, { ts: 2 }).reason).toBe(
      'INSUFFICIENT_BALANCE',
    );
  });
});

describe('a denial by the gate itself says why', () => {
  const order = (r: ReturnType<typeof setup>, inst: Instrument) =>
    makeOrder({ side: 'BUY', quantity: '1' }, inst, {
      clientOrderId: 'x1',
      accountId: 'paper',
      strategyId: 's',
      ts: 0,
    }).order;

  it('names a halt, reduce-only and an unknown instrument', () => {
    const r = setup({ global: {}, strategies: {} });
    const other = instrument({ id: 'ZZ/USD' });
    expect(r.risk.check(order(r, other))).toEqual({
      reason: 'UNKNOWN_INSTRUMENT',
      message: 'unknown instrument ZZ/USD',
    });
    r.risk.setState('REDUCING', 0, 'rick');
    expect(r.risk.check(order(r, A))).toEqual({
      reason: 'TRADING_REDUCING',
      message: 'trading is REDUCING: only orders that reduce the position may go',
    });
    r.risk.setState('HALTED', 0, 'rick');
    expect(r.risk.check(order(r, A))).toEqual({
      reason: 'TRADING_HALTED',
      message: 'trading is halted',
    });
  });
});
