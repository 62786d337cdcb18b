import { Option, type Command } from 'commander';
import { KairosError } from '../trading/core/errors.js';

/**
 * Old flag names a command refuses with a hint to the new one (one name per thing across
 * commands: `--lot`, `--commission`, `--strategy-id`): hidden options that fail before the
 * action runs.
 *
 * @example
 * renamedOptions(cmd, { '--step <size>': '--lot', '--fee <rate>': '--commission' });
 */
export function renamedOptions(cmd: Command, renamed: Readonly<Record<string, string>>): Command {
  const old: { opt: Option; now: string }[] = [];
  for (const [flags, now] of Object.entries(renamed)) {
    const opt = new Option(flags).hideHelp();
    cmd.addOption(opt);
    old.push({ opt, now });
  }
  return cmd.hook('preAction', (_this, action) => {
    for (const { opt, now } of old) {
      if (action.getOptionValueSource(opt.attributeName()) === 'cli') {
        throw new KairosError(
          'USAGE',
          `${opt.long}: renamed ${now} (the same name in every command)`,
        );
      }
    }
  });
}
