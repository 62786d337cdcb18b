import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addExamples } from './help-examples.js';

type Register = (program: Command) => void;

/**
 * Every top-level command and the module that registers it, in help order. Modules load on
 * demand: a command that runs loads only its own (a one-shot `kairos risk show` does not pay
 * for the server, ccxt and the AWS SDK).
 */
const COMMANDS: ReadonlyArray<readonly [names: readonly string[], load: () => Promise<Register>]> =
  [
    [['backtest'], async () => (await import('./backtest-command.js')).registerBacktest],
    [['optimize'], async () => (await import('./optimize-command.js')).registerOptimize],
    [['data'], async () => (await import('./data-command.js')).registerData],
    [['paper'], async () => (await import('./paper-command.js')).registerPaper],
    [['live'], async () => (await import('./live-command.js')).registerLive],
    [['risk'], async () => (await import('./risk-commands.js')).registerRisk],
    [
      ['migrate', 'config'],
      async () => (await import('./store-commands.js')).registerStoreCommands,
    ],
    [['venue'], async () => (await import('./venue-command.js')).registerVenue],
    [['strategy'], async () => (await import('./strategy-commands.js')).registerStrategy],
    [['lambda'], async () => (await import('./lambda-command.js')).registerLambda],
    [['audit'], async () => (await import('./audit-commands.js')).registerAudit],
    [['user'], async () => (await import('./user-commands.js')).registerUser],
    [['keys'], async () => (await import('./keys-commands.js')).registerKeys],
    [['credential'], async () => (await import('./credential-commands.js')).registerCredential],
    [['serve'], async () => (await import('./serve-command.js')).registerServe],
  ];

/**
 * The `kairos` command tree (parsed by main.ts; tests read its help): every command, or only
 * `command`'s when it names one (what a run needs; an unknown name gets the whole tree, so
 * commander can suggest the right one).
 */
export async function buildProgram(command?: string): Promise<Command> {
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
  const one = COMMANDS.filter(([names]) => command !== undefined && names.includes(command));
  // `--version` needs no command (the whole tree is ~240 modules, 0.3 s of CPU).
  const version = command === '-V' || command === '--version';
  for (const [, load] of version ? [] : one.length > 0 ? one : COMMANDS) (await load())(program);
  addExamples(program);
  return program;
}
