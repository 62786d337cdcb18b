import type { StrategyDefinition } from '../../trading/strategy/define-strategy.js';
import type { ParamSpecs } from '../../trading/strategy/params.js';

/** The alias a deploy moves and `--lambda name` runs by default. */
export const LIVE_ALIAS = 'live';

/** The file names inside a strategy package. */
export const PACKAGE_FILES = { code: 'index.mjs', manifest: 'kairos-manifest.json' } as const;

/** The Lambda runtime and handler a package is made for. */
export const LAMBDA_RUNTIME = 'nodejs20.x';
export const LAMBDA_HANDLER = 'index.handler';

/**
 * What a strategy package says about itself (`kairos-manifest.json` in the zip, also written
 * beside it): the strategy, its params schema, the SDK it was built with and the sha256 of its
 * code, so a deployed function can be traced to the file it came from.
 *
 * @example
 * const m = strategyManifest(definition, { sdkVersion: '0.1.0', codeSha256, source: 'sma-cross.ts' });
 */
export interface StrategyManifest {
  readonly format: 'kairos.lambda-strategy/1';
  readonly strategy: string;
  readonly description: string | null;
  readonly params: ParamSpecs;
  readonly sdkVersion: string;
  readonly runtime: typeof LAMBDA_RUNTIME;
  readonly handler: typeof LAMBDA_HANDLER;
  /** The source file's name (no folder, so the package does not depend on where it was made). */
  readonly source: string;
  /** sha256 (hex) of `index.mjs`. */
  readonly codeSha256: string;
}

/**
 * The manifest of a strategy's package.
 *
 * @example
 * strategyManifest(definition, { sdkVersion: '0.1.0', codeSha256: 'ab…', source: 'sma-cross.ts' });
 */
export function strategyManifest(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  definition: StrategyDefinition<any, any, any>,
  build: { readonly sdkVersion: string; readonly codeSha256: string; readonly source: string },
): StrategyManifest {
  return {
    format: 'kairos.lambda-strategy/1',
    strategy: definition.name,
    description: definition.description ?? null,
    params: definition.params as ParamSpecs,
    sdkVersion: build.sdkVersion,
    runtime: LAMBDA_RUNTIME,
    handler: LAMBDA_HANDLER,
    source: build.source,
    codeSha256: build.codeSha256,
  };
}

/**
 * The description a deploy gives a function's version: `kairos <strategy> sha256:<16 hex> sdk
 * <version>`; the API's Lambda starts check it names the strategy they start.
 *
 * @example
 * deployDescription('sma-cross', zipSha256, '0.1.0'); // 'kairos sma-cross sha256:56b24cf7b13de3d8 sdk 0.1.0'
 */
export function deployDescription(strategy: string, zipSha256: string, sdkVersion: string): string {
  return `kairos ${strategy} sha256:${zipSha256.slice(0, 16)} sdk ${sdkVersion}`;
}

/** Whether a version's description says a deploy of `strategy` made it (`deployDescription`). */
export function deployedStrategyIs(description: string, strategy: string): boolean {
  return description.startsWith(`kairos ${strategy} sha256:`);
}
