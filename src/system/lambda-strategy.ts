import { lambdaClient } from '../cloud/lambda/lambda-client.js';
import { checkFunction, invokeFunction, LIVE_ALIAS } from '../cloud/lambda/lambda-functions.js';
import { LambdaSeam } from '../cloud/lambda/lambda-seam.js';
import { KairosError } from '../trading/core/errors.js';
import type { Metrics } from '../trading/core/metrics.js';
import type { SeamHost, StrategySeam } from '../trading/strategy/strategy-seam.js';
import type { Config } from './config.js';
import { countedInvoke } from './lambda-metrics.js';

/** A function and the alias or version to run (`name[:alias|version]`, default alias `live`). */
export interface LambdaTarget {
  readonly name: string;
  readonly qualifier: string;
}

/**
 * Parses `--lambda name[:alias|version]`.
 *
 * @example
 * lambdaTarget('sma:3'); // { name: 'sma', qualifier: '3' }
 */
export function lambdaTarget(spec: string): LambdaTarget {
  const m = /^([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9_$-]{1,128}))?$/.exec(spec);
  if (!m)
    throw new KairosError(
      'USAGE',
      `--lambda: must be a function name, optionally :alias or :version (e.g. sma, sma:live, sma:3), was ${JSON.stringify(spec)}`,
    );
  return { name: m[1]!, qualifier: m[2] ?? LIVE_ALIAS };
}

/**
 * What a node needs to run its strategy through Lambda: checks the function and its alias or
 * version exist (a clear `LAMBDA_NOT_FOUND` before any trading), and answers the node's
 * `strategySeam` factory. `onHalt` is told when failed steps halt the strategy.
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
    seam: (host) =>
      new LambdaSeam(host, {
        params,
        invoke: metrics ? countedInvoke(invoke, metrics) : invoke,
        onHalt,
      }),
    close: () => client.destroy(),
  };
}
