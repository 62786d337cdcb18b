import { retry, handleWhen, ExponentialBackoff } from 'cockatiel';
import { Endpoints, Topics } from '../../trading/bus/topics.js';
import { InvariantError, KairosError } from '../../trading/core/errors.js';
import type { Bar, TradeTick } from '../../trading/data/market-data.js';
import type { Alert } from '../../trading/model/alert.js';
import type { OrderEventJson } from '../../trading/model/order-json.js';
import { RemoteSeam } from '../../trading/strategy/remote-seam.js';
import { StrategyError } from '../../trading/strategy/strategy-error.js';
import type { StrategyServices } from '../../trading/strategy/strategy-runner.js';
import {
  NO_OUTPUT,
  type SeamHost,
  type StrategyOutput,
  type StrategySeam,
  type StrategySnapshotJson,
  type StrategyStart,
} from '../../trading/strategy/strategy-seam.js';
import { LambdaStepper, type LambdaStepperOptions } from './lambda-stepper.js';

/** Errors worth trying again at once: throttling and an endpoint that did not answer. */
const TRANSIENT = new Set(['LAMBDA_THROTTLED', 'LAMBDA_UNREACHABLE']);

/** How a Lambda strategy fails and recovers (`docs/cloud.md`, "When a step fails"). */
export interface LambdaSeamOptions extends Omit<LambdaStepperOptions, 'strategyId' | 'instrument'> {
  /** Consecutive failed steps after which the strategy is HALTED (default 3). */
  readonly haltAfter?: number;
  /** Extra attempts of a throttled or unreachable invocation, with backoff (default 2). */
  readonly retries?: number;
  /** First backoff in ms, doubled each time (default 100). */
  readonly backoffMs?: number;
  /** Told when the strategy is HALTED (the CLI records the risk state). */
  readonly onHalt?: (strategyId: string, reason: string) => void | Promise<void>;
}

/**
 * A strategy that runs as a Lambda function, behind the `StrategySeam` port: the `RemoteSeam`
 * over a `LambdaStepper`, so its commands pass the host's risk gate and OMS exactly as a remote
 * strategy's do, under client order ids (strategy id, n) that only the host's snapshot moves on.
 *
 * When a step fails (timeout, function error, throttling after retries, a bad answer, the
 * per-minute cap): no orders for that step, an alert (`LAMBDA_STEP_FAILED`), and the next step
 * goes on from the last good snapshot (the bar still warms the indicators). A throttled or
 * unreachable invocation is tried again `retries` times with exponential backoff first; a
 * timeout or a crash is not (it would cost the same again). After `haltAfter` consecutive failed
 * steps the strategy alone is HALTED: no more invocations, its open orders are canceled through
 * the gate, an alert (`STRATEGY_HALTED`) and `onHalt`. A strategy that throws inside the
 * function is its own bug: the run fails with `STRATEGY_FAILED`, as in-process.
 *
 * @example
 * strategySeam: (host) => new LambdaSeam(host, { params, invoke: (p) => invokeFunction(client, 'sma', 'live', p) })
 */
export class LambdaSeam implements StrategySeam {
  readonly strategyId: string;
  readonly stepper: LambdaStepper;
  readonly #inner: RemoteSeam;
  readonly #services: StrategyServices;
  #failures = 0;
  #halted = false;

  constructor(
    host: SeamHost,
    private readonly options: LambdaSeamOptions,
  ) {
    this.strategyId = host.strategyId;
    const policy = retry(
      handleWhen((e) => TRANSIENT.has((e as { code?: string }).code ?? '')),
      {
        maxAttempts: options.retries ?? 2,
        backoff: new ExponentialBackoff({
          initialDelay: options.backoffMs ?? 100,
          maxDelay: 5_000,
        }),
      },
    );
    this.stepper = new LambdaStepper({
      ...options,
      strategyId: host.strategyId,
      instrument: host.instrument,
      invoke: (payload) => policy.execute(() => options.invoke(payload)),
    });
    this.#inner = new RemoteSeam(host, this.stepper.transport);
    // A second view of the host's services: the bus for alerts and cancels, the clock.
    this.#services = host.services(() => {
      throw new InvariantError('SEAM_MISUSE', 'lambda seam: random is drawn in the function');
    });
  }

  /** True once the strategy is HALTED after failed steps. */
  get halted(): boolean {
    return this.#halted;
  }

  async start(input: StrategyStart): Promise<StrategyOutput> {
    return this.#inner.start(input);
  }

  onBar(bar: Bar): Promise<StrategyOutput> {
    return this.#step(`bar ${bar.closeTime}`, () => this.#inner.onBar(bar));
  }

  onTrade(tick: TradeTick): Promise<StrategyOutput> {
    return this.#step(`trade ${tick.tradeId}`, () => this.#inner.onTrade(tick));
  }

  async warm(bar: Bar): Promise<void> {
    await this.#inner.warm(bar);
  }

  async warmTrade(tick: TradeTick): Promise<void> {
    await this.#inner.warmTrade(tick);
  }

  onOrderEvent(event: OrderEventJson): Promise<StrategyOutput> {
    return this.#step(`order event ${event.kind}`, () => this.#inner.onOrderEvent(event));
  }

  drain(): Promise<StrategyOutput> {
    return this.#step('order events', () => this.#inner.drain());
  }

  hold(on: boolean): void {
    this.#inner.hold(on);
  }

  async snapshot(): Promise<StrategySnapshotJson> {
    return this.#inner.snapshot();
  }

  async stop(): Promise<StrategySnapshotJson> {
    if (!this.#halted) {
      try {
        return await this.#inner.stop();
      } catch (e) {
        if (!this.#isStepFailure(e)) throw e;
        this.#alert(
          'LAMBDA_STEP_FAILED',
          `${this.strategyId}: onStop not run: ${(e as Error).message}`,
        );
      }
    }
    return this.#inner.snapshot();
  }

  #isStepFailure(e: unknown): boolean {
    return (
      !(e instanceof StrategyError) && !(e instanceof InvariantError) && e instanceof KairosError
    );
  }

  async #step(what: string, call: () => Promise<StrategyOutput>): Promise<StrategyOutput> {
    if (this.#halted) return NO_OUTPUT;
    const before = this.stepper.steps;
    try {
      const out = await call();
      // A call that invoked nothing (a drain with no events) neither fails nor succeeds.
      if (this.stepper.steps > before) this.#failures = 0;
      return out;
    } catch (e) {
      if (!this.#isStepFailure(e)) throw e;
      const code = (e as KairosError).code;
      if (code === 'LAMBDA_RATE_CAPPED') {
        this.#alert('LAMBDA_STEP_FAILED', `${this.strategyId}: ${what}: ${(e as Error).message}`);
        return NO_OUTPUT;
      }
      const limit = this.options.haltAfter ?? 3;
      this.#failures++;
      this.#alert(
        'LAMBDA_STEP_FAILED',
        `${this.strategyId}: ${what}: ${(e as Error).message}; no orders for this step (${this.#failures}/${limit} failed in a row)`,
      );
      if (this.#failures >= limit)
        await this.#halt(`${limit} failed Lambda steps in a row, the last: ${code}`);
      return NO_OUTPUT;
    }
  }

  async #halt(reason: string): Promise<void> {
    this.#halted = true;
    const s = this.#services;
    for (const o of s.openOrders(this.strategyId))
      s.bus.send(Endpoints.risk, {
        kind: 'CancelOrder',
        clientOrderId: o.clientOrderId,
        strategyId: this.strategyId,
        ts: s.clock.now(),
      });
    this.#alert('STRATEGY_HALTED', `${this.strategyId}: HALTED: ${reason}`);
    await this.options.onHalt?.(this.strategyId, reason);
  }

  #alert(code: string, message: string): void {
    const alert: Alert = { kind: 'Alert', code, message, ts: this.#services.clock.now() };
    this.#services.bus.publish(Topics.alerts, alert);
  }
}
