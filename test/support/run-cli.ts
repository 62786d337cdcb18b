import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared market data folder: `KAIROS_SHARED_DATA`, `../shared/data` beside the clone, or /work/shared/data. */
export const DATA =
  [process.env.KAIROS_SHARED_DATA, path.resolve(ROOT, '../shared/data'), '/work/shared/data'].find(
    (d): d is string => d !== undefined && existsSync(path.join(d, 'backtrader')),
  ) ?? path.resolve(ROOT, '../shared/data');

/**
 * How the tests start `kairos` (after `process.execPath`). Every process they start lives
 * seconds, so it runs WebAssembly (PGlite) on V8's baseline compiler only: the optimising tier
 * would spend about a second of CPU per process on code that exits before it pays off.
 */
export const KAIROS_ARGV: readonly string[] = ['--liftoff-only', path.join(ROOT, 'bin/kairos.js')];

/** Runs `kairos` as a process and returns its exit code and output. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...KAIROS_ARGV, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `kairos` as a child process without blocking this one (a server the test runs is here). */
export function runCliAsync(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...KAIROS_ARGV, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  return new Promise((resolve) =>
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr })),
  );
}
