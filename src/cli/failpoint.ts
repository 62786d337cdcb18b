import { KairosError } from '../trading/core/errors.js';
import type { Failpoint } from '../trading/live/write-ahead-client.js';

const POINTS: readonly Failpoint[] = ['after-commit', 'after-send'];

/** The point `kairos keys rotate` passes after each committed batch of re-wrapped values. */
export const AFTER_REWRAP_BATCH = 'after-rewrap-batch';

/**
 * For fault tests: `KAIROS_FAILPOINT=after-commit:37` (`Config.failpoint`) kills the process (SIGKILL, as a crash)
 * the 37th time an order reaches that point. Unset: nothing.
 *
 * @example
 * const failpoint = failpointFromEnv(config.failpoint);
 */
export function failpointFromEnv<P extends string = Failpoint>(
  spec: string | undefined,
  points: readonly P[] = POINTS as readonly string[] as readonly P[],
): ((at: P) => void) | undefined {
  if (!spec) return undefined;
  const [point, nth] = spec.split(':');
  const n = Number(nth);
  if (!points.includes(point as P) || !Number.isInteger(n) || n < 1) {
    throw new KairosError(
      'CONFIG_INVALID',
      `KAIROS_FAILPOINT: must be <${points.join('|')}>:<n ≥ 1>, was "${spec}"`,
    );
  }
  let hits = 0;
  return (at) => {
    if (at === point && ++hits === n) process.kill(process.pid, 'SIGKILL');
  };
}
