import { Topics } from '../bus/topics.js';
import { InvariantError } from '../core/errors.js';
import { SeededRandom } from '../core/random.js';
import type { Bar, TradeTick } from '../data/market-data.js';
import type { OrderEvent } from '../model/order-events.js';
import { orderEventFromJson, type OrderEventJson } from '../model/order-json.js';
import type { IndicatorSet, StrategyDefinition } from './define-strategy.js';
import type { ParamSpecs, ParamValues } from './params.js';
import type { JsonObject } from './strategy-context.js';
import { StrategyRunner, type StrategyServices } from './strategy-runner.js';
import {
  NO_OUTPUT,
  type SeamHost,
  type StrategyOutput,
  type StrategySeam,
  type StrategySnapshotJson,
  type StrategyStart,
} from './strategy-seam.js';

/**
 * The strategy in this process, over a `StrategyRunner`: the fast path (backtests). Calls are
 * synchronous and nothing is serialised: commands run through the gate as `ctx.buy()` makes them
 * (its ticket is the gate's answer) and order events reach the strategy as they happen, so
 * every output is empty and `drain` has nothing to do.
 *
 * @example
 * const seam = new InProcessSeam(definition, params, host);
 * seam.start({ state: null, ordersMade: 0, random: 1 });
 * seam.onBar(bar);
 */
export class InProcessSeam<
  P extends ParamSpecs,
  S extends JsonObject,
  I extends IndicatorSet,
> implements StrategySeam {
  readonly strategyId: string;
  readonly #services: StrategyServices;
  #runner: StrategyRunner<P, S, I> | null = null;
  #rng: SeededRandom | null = null;
  /** Order events before `start` (a kill switch during start-up): handed over after it. */
  readonly #early: OrderEvent[] = [];

  constructor(
    private readonly definition: StrategyDefinition<P, S, I>,
    private readonly params: ParamValues<P>,
    private readonly host: SeamHost,
  ) {
    this.strategyId = host.strategyId;
    this.#services = host.services(() => this.#rng!.next());
    this.#services.bus.subscribe<OrderEvent>(Topics.orderEvents(host.strategyId), (e) => {
      if (!this.#runner) this.#early.push(e);
    });
  }

  /** The runner (after `start`): for hosts that need more than the seam says. */
  get runner(): StrategyRunner<P, S, I> {
    if (!this.#runner) throw new InvariantError('SEAM_MISUSE', 'strategy seam: not started');
    return this.#runner;
  }

  start(input: StrategyStart): StrategyOutput {
    this.#rng = new SeededRandom(input.random);
    const { host } = this;
    const runner = (this.#runner = new StrategyRunner(
      this.definition,
      this.params,
      host.strategyId,
      host.instrument,
      this.#services,
      input.ordersMade,
    ));
    if (input.state) runner.resume(input.state);
    else runner.start();
    for (const e of this.#early.splice(0)) runner.deliver(e);
    return NO_OUTPUT;
  }

  onBar(bar: Bar): StrategyOutput {
    this.#runner!.onBar(bar);
    return NO_OUTPUT;
  }

  onTrade(tick: TradeTick): StrategyOutput {
    this.#runner!.onTrade(tick);
    return NO_OUTPUT;
  }

  warm(bar: Bar): void {
    this.#runner!.warm(bar);
  }

  warmTrade(tick: TradeTick): void {
    this.#runner!.warmTrade(tick);
  }

  onOrderEvent(event: OrderEventJson): StrategyOutput {
    this.runner.deliver(orderEventFromJson(event));
    return NO_OUTPUT;
  }

  drain(): StrategyOutput {
    return NO_OUTPUT;
  }

  snapshot(): StrategySnapshotJson {
    const runner = this.runner;
    return { state: runner.snapshot(), ordersMade: runner.ordersMade, random: this.#rng!.state() };
  }

  stop(): StrategySnapshotJson {
    const state = this.runner.stop();
    return { state, ordersMade: this.runner.ordersMade, random: this.#rng!.state() };
  }
}
