import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAudit } from './audit-commands.js';
import { registerBacktest } from './backtest-command.js';
import { registerCredential } from './credential-commands.js';
import { registerData } from './data-command.js';
import { registerKeys } from './keys-commands.js';
import { registerLambda } from './lambda-command.js';
import { registerLive } from './live-command.js';
import { registerPaper } from './paper-command.js';
import { registerRisk } from './risk-commands.js';
import { registerServe } from './serve-command.js';
import { registerStoreCommands } from './store-commands.js';
import { registerStrategy } from './strategy-commands.js';
import { registerUser } from './user-commands.js';
import { registerVenue } from './venue-command.js';

import { addExamples } from './help-examples.js';

/** The whole `kairos` command tree (parsed by main.ts; tests read its help). */
export function buildProgram(): Command {
  const program = new Command('kairos')
    .description(
      'Kairos: event-driven algorithmic trading — backtest, paper and live with one strategy file',
    )
    .version(
      (
        JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
          version: string;
        }
      ).version,
      '-V, --version',
      'print the Kairos version',
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
  registerStrategy(program);
  registerLambda(program);
  registerAudit(program);
  registerUser(program);
  registerKeys(program);
  registerCredential(program);
  registerServe(program);
  addExamples(program);
  return program;
}
