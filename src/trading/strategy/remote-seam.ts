import { Endpoints, Topics } from '../bus/topics.js';
import { ClientOrderIds } from '../core/client-order-id.js';
import { InvariantError, KairosError } from '../core/errors.js';
import type { Bar, TradeTick } from '../data/market-data.js';
import type { OrderRequest } from '../execution/order-request.js';
import type { OrderEvent } from '../model/order-events.js';
import { isOpen } from '../model/order-state-machine.js';
import { orderEventToJson, orderToJson, type OrderEventJson } from '../model/order-json.js';
import type {
  SeamErrorJson,
  SeamReply,
  SeamRequest,
  StrategyTransport,
  StrategyView,
} from './seam-protocol.js';
import { inOrderWindow } from './order-window.js';
import { StrategyError } from './strategy-error.js';
import { submitRequest, type StrategyServices } from './strategy-runner.js';
import {
  NO_OUTPUT,
  type OrderRequestJson,
  type SeamHost,
  type StrategyCommand,
  type StrategyLogLine,
  type StrategyOutput,
  type StrategySeam,
  type StrategySnapshotJson,
  type StrategyStart,
} from './strategy-seam.js';

/** The strategy's error, rebuilt on the host: a `StrategyError` when a handler threw. */
function errorFromJson(e: SeamErrorJson): Error {
  if (e.strategy !== null && e.phase !== null) {
    const cause = e.code === 'PARAM_INVALID' ? new RangeError(e.message) : new Error(e.message);
    return new StrategyError(e.strategy, e.phase, e.barIndex, e.ts, cause);
  }
  // Our own errors keep their code (an invariant's message already starts with it).
  if (e.name === 'InvariantError')
    return new InvariantError(e.code, e.message.replace(`${e.code}: `, ''));
  return new KairosError(e.code, e.message);
}

const request = (j: OrderRequestJson): OrderRequest => j;

/**
 * The host's half of a strategy that runs elsewhere (a worker, a Lambda): everything crosses as
 * JSON text through `transport`, to a `StrategySide` there. Each call sends the event with a
 * view of the host's state (time, the strategy's position, cash, open orders); the strategy side
 * answers with the commands its handlers made, which this half executes here, in order, through
 * the host's risk gate and OMS (the same `submitRequest` as in-process, under the client order
 * ids the strategy side gave, checked to follow on). The order events that reach the strategy's
 * topic are queued and handed over one at a time, each with a fresh view, in the order they
 * happened, so the strategy makes the same orders as in-process. One difference: a ticket on the
 * strategy side is provisional (`accepted: true` unless the order cannot be made); the gate's
 * answer arrives as an order event.
 *
 * @example
 * const side = new StrategySide(definition, params, 'sma', instrument); // the other process
 * const seam = new RemoteSeam(host, async (text) => side.handle(text));
 * await seam.start({ state: null, ordersMade: 0, random: 1 });
 */
export class RemoteSeam implements StrategySeam {
  readonly strategyId: string;
  readonly #services: StrategyServices;
  readonly #queue: OrderEventJson[] = [];
  /**
   * Order events that reached the topic while a request was out (the venue's answers to orders
   * committed meanwhile, at the pace of the store and the network): in-process they come after
   * the call's synchronous work, so they are handed over after the events that work caused, and
   * never before the bar or trade of a call that is handing over earlier events first.
   */
  readonly #later: OrderEventJson[] = [];
  #out = false;
  /** The host holds the events in `#later` (`hold`). */
  #held = false;
  /** Calls run one at a time, in the order they were made (`#serial`); true while one runs. */
  #turn: Promise<unknown> = Promise.resolve();
  #busy = false;
  /** Calls made and not ended (the one running and those waiting their turn). */
  #calls = 0;
  #ids: ClientOrderIds;
  #ordersMade = 0;
  /**
   * The strategy's orders an event was heard of, while the strategy may still read them: each
   * view lists those closed within the window (`inOrderWindow`), as `ctx.order` in-process reads.
   */
  readonly #heard = new Set<string>();

  constructor(
    private readonly host: SeamHost,
    private readonly transport: StrategyTransport,
  ) {
    this.strategyId = host.strategyId;
    this.#ids = new ClientOrderIds(host.strategyId);
    // The strategy side owns its random source; nothing here draws from it.
    this.#services = host.services(() => {
      throw new InvariantError(
        'SEAM_MISUSE',
        'strategy seam: random is drawn on the strategy side',
      );
    });
    this.#services.bus.subscribe<OrderEvent>(Topics.orderEvents(host.strategyId), (e) => {
      if (e.kind === 'OrderInitialized') return;
      (this.#out ? this.#later : this.#queue).push(orderEventToJson(e));
      this.#heard.add(e.clientOrderId);
    });
  }

  async start(input: StrategyStart): Promise<StrategyOutput> {
    this.#ids = new ClientOrderIds(this.strategyId, input.ordersMade);
    this.#ordersMade = input.ordersMade;
    // Resumed: an order it made before may still be closed within the window, which `ctx.order`
    // reads in-process; each view keeps those within it.
    for (const id of this.#services.heldOrderIds?.(this.strategyId) ?? []) this.#heard.add(id);
    const accountId = this.#services.accountId;
    return this.#serial(() =>
      this.#handle(() => ({ kind: 'start', start: input, accountId, view: this.#view() })),
    );
  }

  async onBar(bar: Bar): Promise<StrategyOutput> {
    return this.#serial(() => this.#handle(() => ({ kind: 'bar', bar, view: this.#view() }), true));
  }

  async onTrade(tick: TradeTick): Promise<StrategyOutput> {
    return this.#serial(() =>
      this.#handle(() => ({ kind: 'trade', tick, view: this.#view() }), true),
    );
  }

  async warm(bar: Bar): Promise<void> {
    await this.#serial(() => this.#call({ kind: 'warm', bar }));
  }

  async warmTrade(tick: TradeTick): Promise<void> {
    await this.#serial(() => this.#call({ kind: 'warmTrade', tick }));
  }

  /**
   * An event handed over while a call runs (a replayed bar shows an event again when the
   * strategy's command remakes its order, or before the bar's own call has ended) is heard as
   * in-process: after the handler that runs, with the events its commands caused (queued).
   */
  async onOrderEvent(event: OrderEventJson): Promise<StrategyOutput> {
    if (this.#busy) {
      (this.#out ? this.#later : this.#queue).push(event);
      return NO_OUTPUT;
    }
    return this.#serial(async () => {
      const all = new Collected();
      await this.#deliver(event, all);
      await this.#drain(all);
      return all.output();
    });
  }

  async drain(): Promise<StrategyOutput> {
    return this.#serial(async () => {
      const all = new Collected();
      await this.#drain(all);
      return all.output();
    });
  }

  hold(on: boolean): void {
    this.#held = on;
  }

  async snapshot(): Promise<StrategySnapshotJson> {
    return this.#serial(async () => (await this.#call({ kind: 'snapshot' })).snapshot!);
  }

  async stop(): Promise<StrategySnapshotJson> {
    return this.#serial(async () => {
      const all = new Collected();
      await this.#drain(all);
      const reply = await this.#call({ kind: 'stop', view: this.#view() });
      this.#execute(reply, all);
      return reply.snapshot!;
    });
  }

  /**
   * Runs calls one at a time, as in-process: a call made while another runs (a host that does
   * not wait, such as a replayed bar showing events) starts once that one has ended, so its view
   * holds what the earlier call's commands did.
   */
  #serial<T>(job: () => Promise<T>): Promise<T> {
    this.#calls++;
    const run = this.#turn.then(async () => {
      this.#busy = true;
      try {
        return await job();
      } finally {
        this.#busy = false;
        this.#calls--;
      }
    });
    this.#turn = run.catch(() => undefined);
    return run;
  }

  /** One handler call: events that came before it first, then it, then the events it caused. */
  async #handle(req: () => SeamRequest, drainFirst = false): Promise<StrategyOutput> {
    const all = new Collected();
    if (drainFirst) await this.#drain(all, false);
    // The view is taken after the earlier events were handed over (their commands executed).
    this.#execute(await this.#call(req()), all);
    await this.#drain(all);
    return all.output();
  }

  /** Hands over the queued events, then (`late`) those that came while a request was out. */
  async #drain(all: Collected, late = true): Promise<void> {
    for (;;) {
      // Not while the host has made more calls: in-process those come first (one stretch of
      // its synchronous work, such as a replayed bar's fills then the bar).
      if (late && this.#calls <= 1 && !this.#held && this.#queue.length === 0)
        this.#queue.push(...this.#later.splice(0));
      const event = this.#queue.shift();
      if (event === undefined) return;
      await this.#deliver(event, all);
    }
  }

  async #deliver(event: OrderEventJson, all: Collected): Promise<void> {
    const reply = await this.#call({
      kind: 'orderEvent',
      event,
      view: this.#view(event.clientOrderId),
    });
    all.events++;
    this.#execute(reply, all);
  }

  async #call(req: SeamRequest): Promise<Extract<SeamReply, { ok: true }>> {
    this.#out = true;
    let text: string;
    try {
      text = await this.transport(JSON.stringify(req));
    } finally {
      this.#out = false;
    }
    let reply: SeamReply;
    try {
      reply = JSON.parse(text) as SeamReply;
    } catch (e) {
      throw new KairosError(
        'STRATEGY_SEAM',
        `strategy seam: the reply to ${req.kind} is not JSON`,
        {
          cause: e,
        },
      );
    }
    if (reply?.ok === false) throw errorFromJson(reply.error);
    if (reply?.ok !== true || !Array.isArray(reply.output?.commands))
      throw new KairosError(
        'STRATEGY_SEAM',
        `strategy seam: the reply to ${req.kind} is not a reply`,
      );
    return reply;
  }

  /** Runs the commands of a reply here, in order, and writes its log lines. */
  #execute(reply: Extract<SeamReply, { ok: true }>, all: Collected): void {
    const services = this.#services;
    const { strategyId } = this;
    for (const line of reply.output.logs) {
      services.log(strategyId, line.ts, line.message);
      all.logs.push(line);
    }
    for (const cmd of reply.output.commands) {
      const ts = services.clock.now();
      if (cmd.kind === 'cancel') {
        services.canceling?.(cmd.clientOrderId);
        services.bus.send(Endpoints.risk, {
          kind: 'CancelOrder',
          clientOrderId: cmd.clientOrderId,
          strategyId,
          ts,
        });
      } else {
        const expected = this.#ids.next();
        this.#ordersMade++;
        if (cmd.clientOrderId !== expected)
          throw new KairosError(
            'STRATEGY_SEAM',
            `strategy seam: submit ${cmd.clientOrderId}: must use the next client order id ${expected}`,
          );
        const id = cmd.request.instrumentId ?? this.host.instrument.id;
        const inst = services.instrument(id);
        if (!inst)
          throw new KairosError('STRATEGY_SEAM', `strategy seam: unknown instrument ${id}`);
        submitRequest(services, strategyId, request(cmd.request), inst, expected, ts);
      }
      all.commands.push(cmd);
    }
    if (reply.ordersMade !== this.#ordersMade)
      throw new KairosError(
        'STRATEGY_SEAM',
        `strategy seam: the strategy side used ${reply.ordersMade} client order ids, the host saw ${this.#ordersMade}`,
      );
  }

  /** The host's state as the strategy reads it (and the order an event is about). */
  #view(eventOrder?: string): StrategyView {
    const s = this.#services;
    const inst = this.host.instrument;
    const p = s.position(inst.id);
    const open = s.openOrders(this.strategyId);
    const orders = open.map(orderToJson);
    const now = s.clock.now();
    if (eventOrder !== undefined && !open.some((o) => o.clientOrderId === eventOrder)) {
      const o = s.order(eventOrder);
      if (o && o.strategyId === this.strategyId) orders.push(orderToJson(o));
    }
    // The closed orders the strategy reads in-process at `now`: those within the window.
    for (const id of this.#heard) {
      const o = s.order(id);
      if (o === undefined || !inOrderWindow(o, now, s.closedOrderWindowMs)) this.#heard.delete(id);
      else if (!isOpen(o.status) && id !== eventOrder) orders.push(orderToJson(o));
    }
    return {
      ts: now,
      position: {
        quantity: p.quantity.toFixed(),
        lots: p.lots.map((l) => ({ quantity: l.quantity.toFixed(), price: l.price.toFixed() })),
        realizedPnl: p.realizedPnl.toFixed(),
        fees: p.fees.toFixed(),
        openedAt: p.openedAt,
      },
      cash: {
        [inst.base]: s.cash(inst.base).toFixed(),
        [inst.quote]: s.cash(inst.quote).toFixed(),
      },
      orders,
    };
  }
}

/** What the calls of one seam call produced, together. */
class Collected {
  readonly commands: StrategyCommand[] = [];
  readonly logs: StrategyLogLine[] = [];
  events = 0;

  output(): StrategyOutput {
    return { commands: this.commands, logs: this.logs, events: this.events };
  }
}
