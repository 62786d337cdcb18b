import { createLogger, type RootLogger } from '../monitoring/logger.js';
import { LOG_LEVELS, type LogLevel } from '../trading/core/logger.js';
import type { Config } from '../system/config.js';

/**
 * The root logger of a long-running command (`serve`, `paper`, `live`, `venue simulate`): JSON
 * lines on stderr (a coloured line on a terminal) at `LOG_LEVEL`, every line carrying
 * `service: kairos` and the command, and every secret of the configuration (venue keys,
 * passwords, the database password) known to its redactor. Its human output (the run printer,
 * the summary) stays on stdout and is not a log.
 *
 * @example
 * const logger = rootLogger(config, 'serve');
 * logger.child({ component: 'http' }).info('request', { status: 200 });
 */
export function rootLogger(
  config: Config,
  command: string,
  opts: {
    /** A floor under `LOG_LEVEL` (a replay that prints its own story logs from `warn`). */
    readonly atLeast?: LogLevel;
    /** The level, whatever `LOG_LEVEL` says (a `--verbose` flag). */
    readonly level?: LogLevel;
  } = {},
): RootLogger {
  const { atLeast } = opts;
  const level =
    opts.level ??
    (atLeast !== undefined && LOG_LEVELS.indexOf(atLeast) > LOG_LEVELS.indexOf(config.logLevel)
      ? atLeast
      : config.logLevel);
  const secrets = [
    config.exchange.apiKey,
    config.exchange.secret,
    config.exchange.password,
    config.adminPassword,
    config.userPassword,
  ].flatMap((s) => (s === undefined ? [] : [s.reveal()]));
  for (const url of [config.databaseUrl, config.redisUrl]) {
    const password = url === undefined ? undefined : urlPassword(url);
    if (password) secrets.push(password);
  }
  return createLogger({ level, fields: { service: 'kairos', command }, secrets });
}

function urlPassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
