import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { deterministicZip, MAX_DIRECT_ZIP_BYTES } from '../cloud/lambda/lambda-zip.js';
import {
  PACKAGE_FILES,
  strategyManifest,
  type StrategyManifest,
} from '../cloud/lambda/strategy-manifest.js';
import { KairosError } from '../trading/core/errors.js';
import { BUNDLE_OPTIONS, loadStrategy } from './load-strategy.js';

/** The handler's TypeScript source: under src/ whether this runs from src/ or dist/. */
const HANDLER_ENTRY = [
  '../cloud/lambda/lambda-handler.ts',
  '../../src/cloud/lambda/lambda-handler.ts',
]
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((f) => existsSync(f))!;

const SDK_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** A strategy made into a Lambda deployment package. */
export interface StrategyPackage {
  readonly manifest: StrategyManifest;
  readonly zip: Uint8Array;
  /** sha256 of the zip, hex (Lambda's `CodeSha256` is the same digest in base64). */
  readonly zipSha256: string;
}

/**
 * Packages a strategy file for Lambda: esbuild bundles the handler (`lambdaHandler` over the
 * file's strategy export, the SDK inlined) into `index.mjs`; with `kairos-manifest.json` it goes
 * into a deterministic zip. Paths in the bundle are relative to the strategy's folder, so the
 * same file gives the same bytes wherever the command runs.
 *
 * @example
 * const { zip, manifest } = await packageStrategy('examples/strategies/sma-cross.ts', 'var/build');
 */
export async function packageStrategy(
  file: string,
  buildDir: string,
  exportName?: string,
  /** Lambda's limit for a zip uploaded directly (the tests lower it). */
  maxZipBytes = MAX_DIRECT_ZIP_BYTES,
): Promise<StrategyPackage> {
  const definition = await loadStrategy(file, buildDir, exportName);
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const pick =
    exportName !== undefined
      ? `strategy[${JSON.stringify(exportName)}]`
      : 'strategy.default ?? Object.values(strategy).find(isStrategyDefinition)';
  const entry = [
    `import * as strategy from ${JSON.stringify(`./${path.basename(abs)}`)};`,
    `import { isStrategyDefinition } from 'kairos/sdk';`,
    `import { lambdaHandler } from ${JSON.stringify(HANDLER_ENTRY)};`,
    `export const handler = lambdaHandler(${pick});`,
  ].join('\n');
  let code: string;
  try {
    const result = await build({
      stdin: {
        contents: entry,
        resolveDir: dir,
        sourcefile: 'kairos-lambda-entry.js',
        loader: 'js',
      },
      absWorkingDir: dir,
      ...BUNDLE_OPTIONS,
      legalComments: 'none',
    });
    code = result.outputFiles[0]!.text;
  } catch (e) {
    const first = (e as { errors?: { text: string }[] }).errors?.[0];
    throw new KairosError('STRATEGY_BUILD', `strategy file ${file}: ${first?.text ?? String(e)}`, {
      cause: e,
    });
  }
  const manifest = strategyManifest(definition, {
    sdkVersion: SDK_VERSION,
    codeSha256: createHash('sha256').update(code).digest('hex'),
    source: path.basename(abs),
  });
  const zip = deterministicZip({
    [PACKAGE_FILES.code]: code,
    [PACKAGE_FILES.manifest]: `${JSON.stringify(manifest, null, 2)}\n`,
  });
  if (zip.byteLength > maxZipBytes)
    throw new KairosError(
      'LAMBDA_PACKAGE_TOO_LARGE',
      `strategy file ${file}: the package is ${zip.byteLength} bytes, over Lambda's ${maxZipBytes} for a direct upload`,
    );
  return { manifest, zip, zipSha256: createHash('sha256').update(zip).digest('hex') };
}
