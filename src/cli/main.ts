import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { quietAwsNodeWarning } from './cli-config.js';
import { reportStrategyFailure, StrategyError } from './strategy-failure.js';

quietAwsNodeWarning();
const program = buildProgram();

/** Expected failures (bad input) print one line and exit 2; anything else is a bug and crashes. */
function isExpected(e: unknown): e is Error & { code: string } {
  const code = (e as { code?: unknown })?.code;
  return (
    e instanceof Error &&
    e.name !== 'InvariantError' &&
    typeof code === 'string' &&
    /^[A-Z][A-Z_]+$/.test(code)
  );
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof StrategyError) {
    reportStrategyFailure(e);
    process.exit();
  } else if (isExpected(e)) {
    process.stderr.write(`kairos: ${e.message}\n`);
    // Exit now: a live feed or socket left open must not keep a failed command running.
    process.exit(2);
  } else {
    throw e;
  }
}
