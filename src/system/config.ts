import path from 'node:path';
import { KairosError } from '../trading/core/errors.js';

/** The effective configuration, read once from the environment (CLI flags override it). */
export interface Config {
  /** Embedded state folder (`KAIROS_HOME`, default `./var`). */
  readonly home: string;
  /** Postgres URL (`DATABASE_URL`); absent means embedded PGlite under `home/db`. */
  readonly databaseUrl: string | undefined;
}

/**
 * Reads and validates the configuration; a bad setting throws `CONFIG_INVALID` naming it.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const url = env.DATABASE_URL?.trim() || undefined;
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    throw new KairosError(
      'CONFIG_INVALID',
      'DATABASE_URL: must be a postgres:// or postgresql:// URL',
    );
  }
  return { home: path.resolve(env.KAIROS_HOME?.trim() || 'var'), databaseUrl: url };
}

/**
 * The configuration as text for people, with secrets (URL passwords) masked.
 *
 * @example
 * maskedConfig(config); // { home: '/app/var', databaseUrl: 'postgres://kairos:***@db/kairos' }
 */
export function maskedConfig(config: Config): Record<string, string | null> {
  return {
    home: config.home,
    databaseUrl: config.databaseUrl
      ? config.databaseUrl.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')
      : null,
    store: config.databaseUrl ? 'postgres' : `pglite (${path.join(config.home, 'db')})`,
  };
}
