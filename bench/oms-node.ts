// The OMS path the benchmarks drive: a tick through a trivial strategy, the risk gate, the
// write-ahead commit and the simulated venue's acknowledgement (issue #3; issue #14 observes its bus).
import type { Store } from '../src/store/open-store.js';
import { OrderRepository } from '../src/store/order-repository.js';
import { SimulatedExchange } from '../src/trading/backtest/simulated-exchange.js';
import { MessageBus } from '../src/trading/bus/message-bus.js';
import { Endpoints } from '../src/trading/bus/topics.js';
import { Dec } from '../src/trading/core/decimal.js';
import { ExecutionEngine } from '../src/trading/execution/execution-engine.js';
import { makeOrder } from '../src/trading/execution/order-factory.js';
import { OrderJournal } from '../src/trading/live/order-journal.js';
import { WriteAheadClient } from '../src/trading/live/write-ahead-client.js';
import { makeInstrument } from '../src/trading/model/instrument.js';
import { flatPosition } from '../src/trading/model/position.js';
import { RiskEngine } from '../src/trading/risk/risk-engine.js';
import { sma } from '../src/trading/strategy/indicators/index.js';

const inst = makeInstrument({ id: 'B/U', base: 'B', quote: 'U', tickSize: '0.01', lotSize: '1' });

export function omsNode(store: Store, observe?: (bus: MessageBus) => void) {
  const bus = new MessageBus();
  const engine: { exec?: ExecutionEngine } = {};
  const acks = new Map<string, () => void>();
  const venue = new SimulatedExchange({ venue: 'SIM', instruments: [inst] }, (e) => {
    engine.exec!.process(e);
    if (e.kind === 'OrderAccepted') acks.get(e.clientOrderId)?.();
  });
  const repo = new OrderRepository(store.db, `bench-${Date.now()}`);
  const journal = new OrderJournal(bus, repo, (id) => engine.exec!.order(id));
  const client = new WriteAheadClient(venue, journal, () => undefined);
  const exec = (engine.exec = new ExecutionEngine(bus, () => client));
  observe?.(bus);
  new RiskEngine(
    bus,
    {
      instrument: () => inst,
      cash: () => Dec('1e15'),
      position: () => flatPosition(inst.id),
      open: exec.open,
      lastPrice: () => Dec(100),
    },
    { allowShort: true },
  );
  let n = 0;
  const fast = sma(10);
  /** One tick through a trivial strategy to an acknowledged order; resolves on the venue ack. */
  const tick = (price: number) => {
    fast.updateValue(price);
    const id = `b${Date.now().toString(36)}-${++n}`;
    const acked = new Promise<void>((r) => acks.set(id, r));
    const { order } = makeOrder(
      { side: 'BUY', type: 'LIMIT', quantity: '1', price: String(price - 1) },
      inst,
      { clientOrderId: id, accountId: repo.accountId, strategyId: 's', ts: n },
    );
    exec.add(order);
    bus.send(Endpoints.risk, { kind: 'SubmitOrder', order, ts: n });
    return acked;
  };
  return { tick, journal, client, repo };
}
