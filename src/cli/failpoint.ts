import { KairosError } from '../trading/core/errors.js';
import type { Failpoint } from '../trading/live/write-ahead-client.js';

const POINTS: readonly Failpoint[] = ['after-commit', 'after-send'];

/**
 * For fault tests: `KAIROS_FAILPOINT=after-commit:37` kills the process (SIGKILL, as a crash)
 * the 37th time an order reaches that point. Unset: nothing.
 *
 * @example
 * const failpoint = failpointFromEnv(process.env.KAIROS_FAILPOINT);
 */
export function failpointFromEnv(spec: string | undefined): ((at: Failpoint) => void) | undefined {
  if (!spec) return undefined;
  const [point, nth] = spec.split(':');
  const n = Number(nth);
  if (!POINTS.includes(point as Failpoint) || !Number.isInteger(n) || n < 1) {
    throw new KairosError(
      'CONFIG_INVALID',
      `KAIROS_FAILPOINT: must be <${POINTS.join('|')}>:<n ≥ 1>, was "${spec}"`,
    );
  }
  let hits = 0;
  return (at) => {
    if (at === point && ++hits === n) process.kill(process.pid, 'SIGKILL');
  };
}
