import type { Store } from '../store/open-store.js';
import { RiskRepository } from '../store/risk-repository.js';
import type { Config } from '../system/config.js';
import type { Metrics } from '../trading/core/metrics.js';
import type { StrategyDefinition } from '../trading/strategy/define-strategy.js';
import { resolveParams } from '../trading/strategy/params.js';
import type { SeamHost, StrategySeam } from '../trading/strategy/strategy-seam.js';

/**
 * `--lambda name[:alias|version]` for `paper` and `live`: checks the function, and answers the
 * node's strategy seam; when failed steps halt the strategy, its HALTED state is stored (audited,
 * actor `lambda`) so the risk gate holds it across restarts until `kairos risk resume`.
 * Null without the flag.
 *
 * @example
 * const lambda = await lambdaRuntime(config, flags.lambda, strategy, params, store);
 */
export async function lambdaRuntime(
  config: Config,
  spec: string | undefined,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  strategy: StrategyDefinition<any, any, any>,
  params: Readonly<Record<string, unknown>>,
  store: Pick<Store, 'db'>,
  /** Invocations counted there (default none). */
  metrics?: Metrics | null,
): Promise<{ seam: (host: SeamHost) => StrategySeam; close: () => void } | null> {
  if (spec === undefined) return null;
  const risk = new RiskRepository(store.db);
  const { lambdaSeamFor } = await import('../system/lambda-strategy.js');
  return lambdaSeamFor(
    config,
    spec,
    resolveParams(strategy.params, params),
    (strategyId, reason) =>
      risk.setState({ strategyId }, 'HALTED', `lambda: ${reason}`, 'lambda', Date.now()),
    metrics ?? undefined,
  );
}
