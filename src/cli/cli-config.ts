import { loadConfig, type Config } from '../system/config.js';

let loaded: Config | undefined;

/**
 * The process's configuration, read from the environment once, on first use: inside a
 * command's action, so `--help` works whatever the environment holds. The one place the CLI
 * reads `process.env` (`docs/configuration.md`).
 *
 * @example
 * const config = cliConfig();
 */
export function cliConfig(): Config {
  return (loaded ??= loadConfig(process.env));
}

/**
 * The `--actor` option (flag and help): who an audited change is recorded as. It has no
 * commander default, so the environment is read only when a command runs (`actorOf`).
 *
 * @example
 * cmd.option(...actorOption('who exports (recorded)'));
 */
export function actorOption(what = 'who makes the change (audited)'): [string, string] {
  return ['--actor <name>', `${what} (default: $USER, else cli)`];
}

/**
 * The actor a command records: `--actor`, else `USER`, else `cli`.
 *
 * @example
 * const by = { actor: actorOf(flags), role: 'cli' };
 */
export function actorOf(flags: { readonly actor?: string }): string {
  return flags.actor ?? cliConfig().actor;
}

/**
 * Silences the AWS SDK's warning that its releases after January 2027 need Node 22: Kairos
 * pins the SDK (`docs/cloud.md`), so the warning is about versions it does not use, and a CLI
 * error must stay one line. A value already set in the environment wins.
 *
 * @example
 * quietAwsSdk(); // before the first AWS client is made
 */
export function quietAwsSdk(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
