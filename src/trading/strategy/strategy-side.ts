import { MessageBus } from '../bus/message-bus.js';
import { Endpoints } from '../bus/topics.js';
import { Dec, ZERO, type Decimal } from '../core/decimal.js';
import { InvariantError, KairosError } from '../core/errors.js';
import { SeededRandom } from '../core/random.js';
import type { CancelOrder } from '../model/commands.js';
import { makeOrder } from '../execution/order-factory.js';
import type { OrderRequest } from '../execution/order-request.js';
import type { Instrument } from '../model/instrument.js';
import { orderEventFromJson, orderFromJson } from '../model/order-json.js';
import type { Order } from '../model/order.js';
import { isOpen } from '../model/order-state-machine.js';
import type { Position } from '../model/position.js';
import type { IndicatorSet, StrategyDefinition } from './define-strategy.js';
import type { IndicatorsState } from './indicator-set.js';
import type { ParamSpecs, ParamValues } from './params.js';
import type { SeamErrorJson, SeamReply, SeamRequest, StrategyView } from './seam-protocol.js';
import type { JsonObject, OrderTicket } from './strategy-context.js';
import { StrategyError } from './strategy-error.js';
import { StrategyRunner, type StrategyServices } from './strategy-runner.js';
import type {
  OrderRequestJson,
  StrategyCommand,
  StrategyLogLine,
  StrategySnapshotJson,
} from './strategy-seam.js';

const str = (x: OrderRequest['quantity']): string => (typeof x === 'string' ? x : String(x));

/** A request as plain JSON (decimal inputs as strings: the host makes the same order of them). */
function requestToJson(req: OrderRequest): OrderRequestJson {
  const { quantity, price, triggerPrice, ...rest } = req;
  return {
    ...rest,
    quantity: str(quantity),
    ...(price !== undefined ? { price: str(price) } : {}),
    ...(triggerPrice !== undefined ? { triggerPrice: str(triggerPrice) } : {}),
  };
}

/** The error of a failed call, as data. */
function errorToJson(e: unknown): SeamErrorJson {
  const err = e instanceof Error ? e : new Error(String(e));
  const s = e instanceof StrategyError ? e : null;
  return {
    name: err.name,
    code: (err as { code?: string }).code ?? 'STRATEGY_ERROR',
    message: err.message,
    strategy: s?.strategy ?? null,
    phase: s?.phase ?? null,
    barIndex: s?.barIndex ?? null,
    ts: s?.ts ?? null,
  };
}

/**
 * The strategy's half of the remote seam: it takes a request's JSON text and answers with JSON
 * text. It runs the definition in a `StrategyRunner` whose services are a view built from the
 * request (time, position, cash, open orders, the instrument) and that records the commands
 * instead of executing them. So a ticket from `ctx.buy()` here is provisional: `accepted: true`
 * unless the order cannot be made (a bad quantity or price, denied the same way in-process);
 * the risk gate's answer arrives later as an order event (`OrderDenied`, `OrderSubmitted`…), and
 * until then the order shows as SUBMITTED in `ctx.openOrders()`. `ctx.order(id)` sees the open
 * orders and the one an order event is about; `ctx.position()` the strategy's own instrument.
 *
 * @example
 * const side = new StrategySide(definition, params, 'sma', instrument);
 * const transport = async (request: string) => side.handle(request); // or a worker, a Lambda
 */
export class StrategySide<P extends ParamSpecs, S extends JsonObject, I extends IndicatorSet> {
  #runner: StrategyRunner<P, S, I> | null = null;
  #rng = new SeededRandom(1);
  #view: StrategyView | null = null;
  #accountId = '';
  #orders = new Map<string, Order>();
  #position: Position | null = null;
  #commands: StrategyCommand[] = [];
  #logs: StrategyLogLine[] = [];
  readonly #bus = new MessageBus();

  constructor(
    private readonly definition: StrategyDefinition<P, S, I>,
    private readonly params: ParamValues<P>,
    private readonly strategyId: string,
    private readonly instrument: Instrument,
  ) {
    this.#bus.register<CancelOrder>(Endpoints.risk, (c) =>
      this.#commands.push({ kind: 'cancel', clientOrderId: c.clientOrderId, ts: c.ts }),
    );
  }

  /** Handles one request (JSON text) and returns the reply (JSON text); it never throws. */
  handle(request: string): string {
    this.#commands = [];
    this.#logs = [];
    let reply: SeamReply;
    try {
      const req = JSON.parse(request) as SeamRequest;
      const snapshot = this.#handle(req);
      reply = {
        ok: true,
        output: { commands: this.#commands, logs: this.#logs },
        ordersMade: this.#runner?.ordersMade ?? 0,
        snapshot,
      };
    } catch (e) {
      reply = { ok: false, error: errorToJson(e) };
    }
    return JSON.stringify(reply);
  }

  /**
   * The indicators' state after the requests handled so far (`StrategyRunner.saveIndicators`):
   * what a stateless host of the side (a Lambda function) hands back with the snapshot.
   */
  saveIndicators(): IndicatorsState {
    return this.#started('saveIndicators').saveIndicators();
  }

  /**
   * Takes back a state `saveIndicators` made, after `start` (throws a `RangeError` on one that
   * does not fit these indicators).
   */
  restoreIndicators(state: IndicatorsState): void {
    this.#started('restoreIndicators').restoreIndicators(state);
  }

  /** A warm-up input the restored indicators already hold: history and last price only. */
  rewarm(req: Extract<SeamRequest, { kind: 'warm' | 'warmTrade' }>): void {
    const runner = this.#started(req.kind);
    if (req.kind === 'warm') runner.rewarm(req.bar);
    else runner.rewarmTrade(req.tick);
  }

  #started(what: string): StrategyRunner<P, S, I> {
    const runner = this.#runner;
    if (!runner) throw new KairosError('STRATEGY_SEAM', `strategy seam: ${what} before start`);
    return runner;
  }

  #handle(req: SeamRequest): StrategySnapshotJson | null {
    if ('view' in req) this.#see(req.view);
    if (req.kind === 'start') {
      this.#rng = new SeededRandom(req.start.random);
      this.#accountId = req.accountId;
      const runner = (this.#runner = new StrategyRunner(
        this.definition,
        this.params,
        this.strategyId,
        this.instrument,
        this.#services(),
        req.start.ordersMade,
      ));
      if (req.start.state) runner.resume(req.start.state);
      else runner.start();
      return null;
    }
    const runner = this.#started(req.kind);
    switch (req.kind) {
      case 'bar':
        runner.onBar(req.bar);
        return null;
      case 'trade':
        runner.onTrade(req.tick);
        return null;
      case 'warm':
        runner.warm(req.bar);
        return null;
      case 'warmTrade':
        runner.warmTrade(req.tick);
        return null;
      case 'orderEvent':
        runner.deliver(orderEventFromJson(req.event));
        return null;
      case 'snapshot':
        return this.#snapshot(runner.snapshot());
      case 'stop':
        return this.#snapshot(runner.stop());
    }
  }

  #snapshot(state: JsonObject): StrategySnapshotJson {
    return { state, ordersMade: this.#runner!.ordersMade, random: this.#rng.state() };
  }

  /** Takes the host's view: the orders it lists replace the provisional ones. */
  #see(view: StrategyView): void {
    this.#view = view;
    this.#orders = new Map(view.orders.map((o) => [o.clientOrderId, orderFromJson(o)]));
    const p = view.position;
    this.#position = {
      instrumentId: this.instrument.id,
      quantity: Dec(p.quantity),
      lots: p.lots.map((l) => ({ quantity: Dec(l.quantity), price: Dec(l.price) })),
      realizedPnl: Dec(p.realizedPnl),
      fees: Dec(p.fees),
      openedAt: p.openedAt,
    };
  }

  #services(): StrategyServices {
    const inst = this.instrument;
    const view = () => {
      if (!this.#view) throw new InvariantError('SEAM_MISUSE', 'strategy seam: no view yet');
      return this.#view;
    };
    const notHere = (): never => {
      throw new InvariantError('SEAM_MISUSE', 'strategy seam: orders are made by the host');
    };
    return {
      accountId: this.#accountId,
      bus: this.#bus,
      clock: {
        now: () => view().ts,
        setTimer: notHere,
        cancelTimer: notHere,
      },
      random: () => this.#rng.next(),
      instrument: (id) => (id === inst.id ? inst : undefined),
      addOrder: notHere,
      deny: notHere,
      order: (id) => this.#orders.get(id),
      openOrders: () => [...this.#orders.values()].filter((o) => isOpen(o.status)),
      position: (id) => {
        if (id !== inst.id)
          throw new RangeError(`strategy seam: only ${inst.id}'s position is in view, not ${id}`);
        return this.#position!;
      },
      cash: (c): Decimal => {
        const v = view().cash[c];
        return v === undefined ? ZERO : Dec(v);
      },
      log: (_sid, ts, message) => this.#logs.push({ ts, message }),
      submit: (req, instrument, clientOrderId, ts): OrderTicket => {
        const { order, denial } = makeOrder(req, instrument, {
          clientOrderId,
          accountId: this.#accountId,
          strategyId: this.strategyId,
          ts,
        });
        this.#orders.set(clientOrderId, {
          ...order,
          status: denial ? 'DENIED' : 'SUBMITTED',
          reason: denial ? denial.reason : null,
        });
        this.#commands.push({ kind: 'submit', clientOrderId, request: requestToJson(req), ts });
        return { clientOrderId, accepted: !denial, reason: denial ? denial.reason : null };
      },
    };
  }
}
