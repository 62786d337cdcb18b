import v8 from 'node:v8';
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { quietAwsNodeWarning } from './cli-config.js';
import { reportStrategyFailure, StrategyError } from './strategy-failure.js';

quietAwsNodeWarning();
// A reader that stops early (`kairos … --help | head`) closes the pipe: that ends the output, not
// with a crash.
for (const out of [process.stdout, process.stderr])
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
const command = process.argv[2];
// A one-shot command opens the embedded database and exits: V8's optimising tier would compile
// PGlite's hot WebAssembly functions (~1 s of CPU) for a run that ends before they pay off. The
// long-running commands keep it.
if (!['serve', 'paper', 'live', 'venue', 'lambda'].includes(command ?? ''))
  v8.setFlagsFromString('--liftoff-only');
const program = await buildProgram(command);

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
    // The code ends the line: stable, for scripts and for docs/errors.md.
    process.stderr.write(`kairos: ${e.message} [${e.code}]\n`);
    // Exit now: a live feed or socket left open must not keep a failed command running.
    process.exit(2);
  } else {
    throw e;
  }
}
