import { spawnSync } from 'node:child_process';
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

/** Runs `kairos` as a process and returns its exit code and output. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/kairos.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
