import type { Exchange } from 'ccxt';
import { MessageBus } from '../../src/trading/bus/message-bus.js';
import { Topics } from '../../src/trading/bus/topics.js';
import { ExecutionEngine } from '../../src/trading/execution/execution-engine.js';
import { makeOrder } from '../../src/trading/execution/order-factory.js';
import type { Alert } from '../../src/trading/model/alert.js';
import type { Order } from '../../src/trading/model/order.js';
import type { OrderEvent } from '../../src/trading/model/order-events.js';
import { Ledger } from '../../src/trading/portfolio/ledger.js';
import {
  CcxtExecutionClient,
  type CcxtExecutionOptions,
} from '../../src/trading/venues/ccxt/ccxt-execution.js';
import { Markets } from '../../src/trading/venues/ccxt/markets.js';

/**
 * The OMS, a ledger fed by its fills (starting with 1e9 USDT) and a `CcxtExecutionClient` on
 * `exchange`, trading `symbol` for account `main`, strategy `strategyId`. `send` makes, adds and
 * submits an order (its client order id from `nextId`, unless given); `cancel` asks to cancel one.
 */
export async function executionHarness(
  exchange: Exchange,
  over: Partial<Omit<CcxtExecutionOptions, 'exchange' | 'instruments' | 'accountId' | 'order'>> & {
    symbol?: string;
    strategyId?: string;
    nextId?: () => string;
  } = {},
) {
  const { symbol = 'BTC/USDT', strategyId = 's', nextId, onAlert, ...options } = over;
  const markets = new Markets(exchange);
  await markets.load();
  const inst = markets.instrument(symbol);
  const bus = new MessageBus();
  const events: OrderEvent[] = [];
  const alerts: Alert[] = [];
  const ledger = new Ledger({ USDT: '1000000000' });
  bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
    events.push(e);
    if (e.kind === 'OrderFilled') ledger.applyFill(e.fill, inst);
  });
  bus.subscribe<Alert>(Topics.alerts, (a) => alerts.push(a));
  const box: { exec?: ExecutionEngine } = {};
  const client = new CcxtExecutionClient(
    {
      backoff: { initialMs: 20, maxMs: 200 },
      ...options,
      exchange,
      instruments: [inst],
      accountId: 'main',
      order: (id) => box.exec!.order(id),
      onAlert: (a) => {
        alerts.push(a);
        onAlert?.(a);
      },
    },
    (e) => box.exec!.process(e),
  );
  const exec = (box.exec = new ExecutionEngine(bus, () => client));
  let n = 0;
  const send = (req: Parameters<typeof makeOrder>[0], id = nextId?.() ?? `k-${++n}`): Order => {
    const { order, denial } = makeOrder(req, inst, {
      clientOrderId: id,
      accountId: 'main',
      strategyId,
      ts: 0,
    });
    if (denial) throw new Error(`${id}: ${denial.reason}`);
    exec.add(order);
    exec.execute({ kind: 'SubmitOrder', order, ts: Date.now() });
    return order;
  };
  /** Asks for a cancel, as the strategy would. */
  const cancel = (clientOrderId: string) =>
    exec.execute({ kind: 'CancelOrder', clientOrderId, strategyId, ts: 0 });
  const close = async () => {
    await client.idle();
    await client.close();
    await exchange.close();
  };
  return { exchange, inst, bus, exec, client, ledger, events, alerts, send, cancel, close };
}
