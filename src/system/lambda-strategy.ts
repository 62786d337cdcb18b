import { lambdaClient } from '../cloud/lambda/lambda-client.js';
import { checkFunction, invokeFunction } from '../cloud/lambda/lambda-functions.js';
import { LambdaSeam } from '../cloud/lambda/lambda-seam.js';
import { deployedStrategyIs } from '../cloud/lambda/strategy-manifest.js';
import { KairosError } from '../trading/core/errors.js';
import type { Metrics } from '../trading/core/metrics.js';
import type { SeamHost, StrategySeam } from '../trading/strategy/strategy-seam.js';
import type { LambdaBinding } from '../store/strategy-deployment-repository.js';
import type { Config } from './config.js';
import type { LambdaRuntime } from './strategy-host.js';
import { countedInvoke } from './lambda-metrics.js';
import { lambdaTarget, type LambdaTarget } from './lambda-target.js';

/** A `--lambda` function checked to exist, and its client (`close` ends it). */
export interface CheckedLambda {
  readonly target: LambdaTarget;
  /** The node's `strategySeam` factory on this function; `onHalt` is told when failed steps halt it. */
  seam(
    params: Readonly<Record<string, unknown>>,
    onHalt: (strategyId: string, reason: string) => Promise<void>,
    /** Invocations counted and timed here (`docs/operations.md`, "Metrics"; default none). */
    metrics?: Metrics,
  ): (host: SeamHost) => StrategySeam;
  close(): void;
}

/**
 * Checks that a `--lambda` function and its alias or version exist (a clear `LAMBDA_NOT_FOUND`
 * before any trading): `paper` and `live` call it before they load the strategy, open the store
 * or reach the venue, and make the seam later.
 *
 * @example
 * const fn = await checkedLambda(config, 'sma');
 * new TradingNode({ ..., strategySeam: fn.seam(params, (id, why) => risk.setState(...)) });
 */
export async function checkedLambda(config: Config, spec: string): Promise<CheckedLambda> {
  const target = lambdaTarget(spec);
  const client = lambdaClient(config.lambda);
  try {
    await checkFunction(client, target.name, target.qualifier);
  } catch (e) {
    client.destroy();
    throw e;
  }
  const invoke = (payload: string) =>
    invokeFunction(client, target.name, target.qualifier, payload);
  return {
    target,
    seam: (params, onHalt, metrics) => (host) =>
      new LambdaSeam(host, {
        params,
        invoke: metrics ? countedInvoke(invoke, metrics) : invoke,
        onHalt,
      }),
    close: () => client.destroy(),
  };
}

/**
 * What a node needs to run its strategy through Lambda: checks the function and its alias or
 * version exist (`checkedLambda`), and answers the node's `strategySeam` factory. `onHalt` is
 * told when failed steps halt the strategy.
 *
 * @example
 * const seam = await lambdaSeamFor(config, 'sma', params, (id, why) => risk.setState(...));
 * new TradingNode({ ..., strategySeam: seam });
 */
export async function lambdaSeamFor(
  config: Config,
  spec: string,
  params: Readonly<Record<string, unknown>>,
  onHalt: (strategyId: string, reason: string) => Promise<void>,
  /** Invocations counted and timed here (`docs/operations.md`, "Metrics"; default none). */
  metrics?: Metrics,
): Promise<{ target: LambdaTarget; seam: (host: SeamHost) => StrategySeam; close: () => void }> {
  const fn = await checkedLambda(config, spec);
  return { target: fn.target, seam: fn.seam(params, onHalt, metrics), close: () => fn.close() };
}

/**
 * The Lambda runtime of `kairos serve`'s strategy host: `bind` checks a start's function and
 * alias or version exist (`LAMBDA_NOT_FOUND` before anything is stored) and were deployed from
 * the strategy started (`LAMBDA_STRATEGY_MISMATCH`), and answers the version it names; `seam` makes an instance's `LambdaSeam` (the same failure policy as `--lambda`: retries,
 * skipped steps, HALTED after failed steps, told to `onHalt`). One AWS client for all.
 *
 * @example
 * const lambda = new LambdaStrategies(config, (id, why) => risk.setState({ strategyId: id }, 'HALTED', why, by));
 * const binding = await lambda.bind('sma:live', 'body.function', 'sma-cross');
 */
export class LambdaStrategies implements LambdaRuntime {
  readonly #client;

  constructor(
    config: Config,
    private readonly onHalt: (strategyId: string, reason: string) => Promise<void>,
    /** Invocations counted and timed here (`docs/operations.md`, "Metrics"; default none). */
    private readonly metrics?: Metrics,
  ) {
    this.#client = lambdaClient(config.lambda);
  }

  async bind(spec: string, field: string, strategy: string): Promise<LambdaBinding> {
    const target = lambdaTarget(spec, field);
    const { version, description } = await checkFunction(
      this.#client,
      target.name,
      target.qualifier,
    );
    // Only a function a Kairos deploy made of this very strategy: never any function the
    // server's identity may invoke, nor one whose params are another strategy's.
    if (!deployedStrategyIs(description, strategy))
      throw new KairosError(
        'LAMBDA_STRATEGY_MISMATCH',
        `${field}: ${target.name}:${target.qualifier} (version ${version}) is not a deploy of the strategy "${strategy}" (its description: ${JSON.stringify(description.slice(0, 100))}); deploy it with POST /strategies/{name}/deploy or kairos strategy deploy`,
      );
    return { function: target.name, qualifier: target.qualifier, version };
  }

  seam(
    binding: LambdaBinding,
    params: Readonly<Record<string, unknown>>,
    host: SeamHost,
  ): StrategySeam {
    const invoke = (payload: string) =>
      invokeFunction(this.#client, binding.function, binding.qualifier, payload);
    return new LambdaSeam(host, {
      params,
      invoke: this.metrics ? countedInvoke(invoke, this.metrics) : invoke,
      onHalt: this.onHalt,
    });
  }

  close(): void {
    this.#client.destroy();
  }
}
