import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './run-cli.js';

/**
 * A TypeScript script of the repository (`test/support/…`) as a process (through tsx), its
 * stderr inherited; `out()` is its stdout so far, `exited` resolves when it ends.
 */
export function spawnScript(
  script: string,
  args: readonly string[],
): { child: ChildProcess; out(): string; exited: Promise<unknown> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += String(d)));
  const exited = new Promise((r) => child.on('exit', r));
  return { child, out: () => out, exited };
}
