import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrategyError } from '../trading/strategy/strategy-error.js';

/** Exit code of a run whose strategy threw (bad input is 2; see docs/cli.md). */
export const EXIT_STRATEGY_FAILED = 3;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OURS = [path.join(ROOT, 'src') + path.sep, path.join(ROOT, 'dist') + path.sep, 'node:'];

/**
 * The strategy's own `file:line` in an error's stack: the first frame outside Kairos and
 * node_modules (stacks are source-mapped, so it names the TypeScript file the user wrote).
 */
export function strategyFrame(error: unknown): string | null {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):\d+\)?\s*$/.exec(line.trim());
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if (OURS.some((p) => file.startsWith(p)) || file.includes(`${path.sep}node_modules${path.sep}`))
      continue;
    if (!path.isAbsolute(file)) continue;
    return `${path.relative(process.cwd(), file)}:${m[2]}`;
  }
  return null;
}

/**
 * One line for a strategy that threw: its name, where (bar index and time), the error and the
 * strategy's own file:line. A parameter refusal in `init` reads as a parameter error.
 */
export function strategyFailureLine(e: StrategyError): string {
  const at = strategyFrame(e.cause);
  const where = at === null ? '' : ` (${at})`;
  if (e.code === 'PARAM_INVALID') return `${e.message}${where}`;
  const bar =
    e.barIndex === null
      ? `in ${e.phase}`
      : `in ${e.phase} at bar ${e.barIndex}${e.ts === null ? '' : ` (${new Date(e.ts).toISOString().replace('.000Z', 'Z')})`}`;
  return `strategy ${e.strategy} failed ${bar}: ${e.message}${where}`;
}

/** Prints a strategy failure on one line and sets the exit code: 2 for parameters, else 3. */
export function reportStrategyFailure(e: StrategyError): void {
  process.stderr.write(`kairos: ${strategyFailureLine(e)} [${e.code}]\n`);
  process.exitCode = e.code === 'PARAM_INVALID' ? 2 : EXIT_STRATEGY_FAILED;
}

export { StrategyError };
