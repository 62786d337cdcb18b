import type { Store } from '../store/open-store.js';
import { RiskRepository } from '../store/risk-repository.js';
import type { Config } from '../system/config.js';
import { lambdaTarget } from '../system/lambda-target.js';
import type { Metrics } from '../trading/core/metrics.js';
import type { StrategyDefinition } from '../trading/strategy/define-strategy.js';
import { resolveParams } from '../trading/strategy/params.js';
import type { SeamHost, StrategySeam } from '../trading/strategy/strategy-seam.js';

/** `--lambda`'s function, checked; `seam` makes the node's strategy seam on it. */
export interface LambdaRuntime {
  seam(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    strategy: StrategyDefinition<any, any, any>,
    params: Readonly<Record<string, unknown>>,
    store: Pick<Store, 'db'>,
    /** Invocations counted there (default none). */
    metrics?: Metrics | null,
  ): (host: SeamHost) => StrategySeam;
  close(): void;
}

/**
 * `--lambda name[:alias|version]` for `paper` and `live`: checks the name, then that the function
 * and its alias or version exist, first of all (a missing function is refused before the
 * strategy is loaded, the store opened or the venue reached); `seam` answers the node's strategy
 * seam; when failed steps halt the strategy, its HALTED state is stored (audited, actor
 * `lambda`) so the risk gate holds it across restarts until `kairos risk resume`.
 * Null without the flag.
 *
 * @example
 * const lambda = await lambdaRuntime(config, flags.lambda);
 * // ... load the strategy, open the store ...
 * new TradingNode({ ..., strategySeam: lambda.seam(strategy, params, store) });
 */
export async function lambdaRuntime(
  config: Config,
  spec: string | undefined,
): Promise<LambdaRuntime | null> {
  if (spec === undefined) return null;
  // The name's syntax before the AWS SDK is loaded.
  lambdaTarget(spec);
  const { checkedLambda } = await import('../system/lambda-strategy.js');
  const fn = await checkedLambda(config, spec);
  return {
    seam: (strategy, params, store, metrics) => {
      const risk = new RiskRepository(store.db);
      return fn.seam(
        resolveParams(strategy.params, params),
        (strategyId, reason) =>
          risk.setState({ strategyId }, 'HALTED', `lambda: ${reason}`, 'lambda', Date.now()),
        metrics ?? undefined,
      );
    },
    close: () => fn.close(),
  };
}
