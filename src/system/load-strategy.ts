import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KairosError } from '../trading/core/errors.js';
import {
  isStrategyDefinition,
  type StrategyDefinition,
} from '../trading/strategy/define-strategy.js';

/** The SDK's TypeScript source: beside this file, or under src/ when this runs from dist/. */
export const SDK_ENTRY = ['../trading/strategy/index.ts', '../../src/trading/strategy/index.ts']
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((f) => existsSync(f))!;

/** How strategy files are bundled: one ES module for Node 20, the SDK resolved as `kairos/sdk`. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
  logLevel: 'silent',
  alias: { 'kairos/sdk': SDK_ENTRY },
} as const;

/** A strategy file bundled into one ES module: what the backtester runs and Lambda deploys. */
export interface StrategyBundle {
  readonly file: string;
  readonly code: string;
  readonly sha256: string;
}

/**
 * Bundles a TypeScript strategy file with esbuild (its imports, the SDK included, inlined;
 * `kairos/sdk` resolves to the SDK of this checkout).
 */
export async function bundleStrategy(file: string): Promise<StrategyBundle> {
  const abs = path.resolve(file);
  try {
    if (!(await stat(abs)).isFile()) throw new Error('not a file');
  } catch {
    throw new KairosError('STRATEGY_NOT_FOUND', `strategy file ${file}: not found`);
  }
  // esbuild loads with the first strategy file (~0.1 s of CPU a process without one saves).
  const { build } = await import('esbuild');
  let result;
  try {
    result = await build({
      entryPoints: [abs],
      ...BUNDLE_OPTIONS,
      sourcemap: 'inline',
      // Sources are relative to the working directory; the bundle runs from elsewhere (the
      // build folder), so stack traces need the root to name the strategy's own file:line.
      sourceRoot: `${pathToFileURL(process.cwd()).href}/`,
    });
  } catch (e) {
    const first = (e as { errors?: { text: string; location?: { file: string; line: number } }[] })
      .errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
    throw new KairosError(
      'STRATEGY_BUILD',
      `strategy file ${file}: ${where}${first?.text ?? String(e)}`,
      { cause: e },
    );
  }
  const code = result.outputFiles[0]!.text;
  return { file: abs, code, sha256: createHash('sha256').update(code).digest('hex') };
}

/**
 * Loads a strategy: bundles it, imports the bundle and returns the export named `exportName`
 * (default: the default export, else the only strategy export).
 */
export async function loadStrategy(
  file: string,
  buildDir: string,
  exportName?: string,
): Promise<StrategyDefinition> {
  return loadBundle(await bundleStrategy(file), buildDir, exportName, file);
}

/**
 * Imports a bundle made by `bundleStrategy` and returns its strategy export (as `loadStrategy`);
 * errors name the file as `file` says.
 */
export async function loadBundle(
  bundle: StrategyBundle,
  buildDir: string,
  exportName?: string,
  file: string = bundle.file,
): Promise<StrategyDefinition> {
  return importStrategy(await writeBundle(bundle, buildDir), exportName, file);
}

/** Writes a bundle to `buildDir` (named by its hash) and returns the module's path. */
export async function writeBundle(bundle: StrategyBundle, buildDir: string): Promise<string> {
  await mkdir(buildDir, { recursive: true });
  const out = path.join(buildDir, `strategy-${bundle.sha256.slice(0, 16)}.mjs`);
  await writeFile(out, bundle.code);
  return out;
}

/**
 * Imports a bundle written by `writeBundle` and returns its strategy export (as `loadStrategy`:
 * `exportName`, else the default export, else the only one); errors name the file `file`.
 */
export async function importStrategy(
  out: string,
  exportName: string | undefined,
  file: string,
): Promise<StrategyDefinition> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(out).href)) as Record<string, unknown>;
  } catch (e) {
    throw new KairosError('STRATEGY_LOAD', `strategy file ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const found = Object.entries(mod).filter(([, v]) => isStrategyDefinition(v));
  if (exportName !== undefined) {
    const v = mod[exportName];
    if (!isStrategyDefinition(v)) {
      const names = found.map(([k]) => k).join(', ') || 'none';
      throw new KairosError(
        'STRATEGY_EXPORT',
        `strategy file ${file}: no strategy export "${exportName}" (strategy exports: ${names})`,
      );
    }
    return v;
  }
  if (isStrategyDefinition(mod.default)) return mod.default;
  if (found.length === 1) return found[0]![1] as StrategyDefinition;
  throw new KairosError(
    'STRATEGY_EXPORT',
    found.length === 0
      ? `strategy file ${file}: exports no strategy (export default defineStrategy({...}))`
      : `strategy file ${file}: exports several strategies (${found.map(([k]) => k).join(', ')}); pick one with --export`,
  );
}
