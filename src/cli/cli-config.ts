import {
  CLOSED_ORDER_RETENTION_RULE,
  closedOrderRetention,
  loadConfig,
  WS_MAX_CONNECTIONS_RULE,
  wsMaxConnections,
  type Config,
} from '../system/config.js';
import { KairosError } from '../trading/core/errors.js';

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
 * The `--closed-order-retention-ms` option (flag and help) of `serve`, `paper`, `live` and
 * `backtest`. No commander default: an unset flag falls through to the environment.
 *
 * @example
 * cmd.option(...closedOrderRetentionOption());
 */
export function closedOrderRetentionOption(): [string, string] {
  return [
    '--closed-order-retention-ms <ms>',
    "how long a closed order stays held (the OMS, the venue client, a strategy's ctx.order), " +
      "ms of the run's clock, 60000-86400000 (default: KAIROS_CLOSED_ORDER_RETENTION_MS, else 600000)",
  ];
}

/**
 * The closed-order window a command runs with: `--closed-order-retention-ms`, else
 * `KAIROS_CLOSED_ORDER_RETENTION_MS`, else 10 minutes. A bad flag is `USAGE` naming it and the rule.
 *
 * @example
 * const config = withClosedOrderRetention(cliConfig(), flags);
 */
export function withClosedOrderRetention(
  config: Config,
  flags: { readonly closedOrderRetentionMs?: string },
): Config {
  return withIntegerFlag(config, 'closedOrderRetentionMs', flags.closedOrderRetentionMs, {
    flag: '--closed-order-retention-ms',
    parse: closedOrderRetention,
    rule: CLOSED_ORDER_RETENTION_RULE,
  });
}

/**
 * The per-address WebSocket connection limit `serve` runs with: `--ws-max-connections-per-address`,
 * else `KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS`, else 50. A bad flag is `USAGE` naming it and the rule.
 *
 * @example
 * const config = withWsMaxConnections(cliConfig(), flags);
 */
export function withWsMaxConnections(
  config: Config,
  flags: { readonly wsMaxConnectionsPerAddress?: string },
): Config {
  return withIntegerFlag(config, 'wsMaxConnectionsPerAddress', flags.wsMaxConnectionsPerAddress, {
    flag: '--ws-max-connections-per-address',
    parse: wsMaxConnections,
    rule: WS_MAX_CONNECTIONS_RULE,
  });
}

/** `config` with `key` set from a flag's text when given; a bad one is `USAGE` naming it and `rule`. */
function withIntegerFlag(
  config: Config,
  key: 'closedOrderRetentionMs' | 'wsMaxConnectionsPerAddress',
  value: string | undefined,
  opts: { flag: string; parse: (text: string) => number | null; rule: string },
): Config {
  if (value === undefined) return config;
  const n = opts.parse(value);
  if (n === null)
    throw new KairosError(
      'USAGE',
      `${opts.flag}: must be ${opts.rule}, was ${JSON.stringify(value)}`,
    );
  return { ...config, [key]: n };
}

/**
 * Turns off the AWS SDK's one-time `NodeVersionSupportWarning` on Node 20 unless the variable is
 * set: Kairos pins an SDK that supports Node 20 on purpose (`docs/cloud.md`, "Versions"), and
 * the warning would break the one-line error rule. The SDK reads this variable itself.
 *
 * @example
 * quietAwsNodeWarning(); // first thing in main.ts
 */
export function quietAwsNodeWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
