import { LIVE_ALIAS } from '../cloud/lambda/strategy-manifest.js';
import { KairosError } from '../trading/core/errors.js';

// `--lambda`'s syntax, apart from the Lambda client: `paper` and `live` refuse a bad name before
// they load the strategy or open the store (`lambda-strategy.ts` loads the AWS SDK).

/** `name[:alias|version]`: a Lambda function name (1-64 letters, digits, - or _), then a qualifier. */
export const LAMBDA_SPEC = /^([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9_$-]{1,128}))?$/;

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
export function lambdaTarget(spec: string, field = '--lambda'): LambdaTarget {
  const m = LAMBDA_SPEC.exec(spec);
  if (!m)
    throw new KairosError(
      'USAGE',
      `${field}: must be a function name, optionally :alias or :version (e.g. sma, sma:live, sma:3), was ${JSON.stringify(spec)}`,
    );
  return { name: m[1]!, qualifier: m[2] ?? LIVE_ALIAS };
}
