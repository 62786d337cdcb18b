import { Command, CommanderError } from 'commander';
import { registerAudit } from './audit-commands.js';
import { registerBacktest } from './backtest-command.js';
import { registerCredential } from './credential-commands.js';
import { registerData } from './data-command.js';
import { registerKeys } from './keys-commands.js';
import { registerLive } from './live-command.js';
import { registerPaper } from './paper-command.js';
import { registerRisk } from './risk-commands.js';
import { registerServe } from './serve-command.js';
import { registerStoreCommands } from './store-commands.js';
import { registerUser } from './user-commands.js';
import { registerVenue } from './venue-command.js';
import { reportStrategyFailure, StrategyError } from './strategy-failure.js';

const program = new Command('kairos')
  .description(
    'Kairos: event-driven algorithmic trading — backtest, paper and live with one strategy file',
  )
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();
registerBacktest(program);
registerData(program);
registerPaper(program);
registerLive(program);
registerRisk(program);
registerStoreCommands(program);
registerVenue(program);
registerAudit(program);
registerUser(program);
registerKeys(program);
registerCredential(program);
registerServe(program);

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
