import { performance } from 'node:perf_hooks';
import { METRICS } from '../monitoring/metric-catalogue.js';
import { KairosError } from '../trading/core/errors.js';
import type { Metrics } from '../trading/core/metrics.js';

/** The `result` label of one invocation: a bounded set. */
function resultOf(e: unknown): 'error' | 'timeout' | 'throttled' {
  const code = e instanceof KairosError ? e.code : '';
  if (code === 'LAMBDA_TIMEOUT') return 'timeout';
  if (code === 'LAMBDA_THROTTLED') return 'throttled';
  return 'error';
}

/**
 * A strategy Lambda's `invoke`, counted: `kairos_lambda_invocations_total` by result (`ok`,
 * `error`, `timeout`, `throttled`) and the round trip in `kairos_lambda_invocation_duration_seconds`.
 * What the call answers or throws is unchanged.
 *
 * @example
 * new LambdaSeam(host, { params, invoke: countedInvoke((p) => invokeFunction(client, 'sma', 'live', p), metrics) });
 */
export function countedInvoke(
  invoke: (payload: string) => Promise<string>,
  metrics: Metrics,
): (payload: string) => Promise<string> {
  const invocations = metrics.counter(METRICS.lambdaInvocations);
  const duration = metrics.histogram(METRICS.lambdaDuration);
  for (const result of ['ok', 'error', 'timeout', 'throttled']) invocations.inc({ result }, 0);
  return async (payload) => {
    const start = performance.now();
    try {
      const out = await invoke(payload);
      invocations.inc({ result: 'ok' });
      return out;
    } catch (e) {
      invocations.inc({ result: resultOf(e) });
      throw e;
    } finally {
      duration.observe((performance.now() - start) / 1000);
    }
  };
}
