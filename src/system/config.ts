import path from 'node:path';
import { KairosError } from '../trading/core/errors.js';

/** The effective configuration, read once from the environment (CLI flags override it). */
export interface Config {
  /** Embedded state folder (`KAIROS_HOME`, default `./var`). */
  readonly home: string;
  /** Postgres URL (`DATABASE_URL`); absent means embedded PGlite under `home/db`. */
  readonly databaseUrl: string | undefined;
  /** Postgres schema to use (`DATABASE_SCHEMA`, created when missing); absent: the default. */
  readonly databaseSchema: string | undefined;
  /** Redis URL (`REDIS_URL`): shared caches and rate limits; absent means in memory. */
  readonly redisUrl: string | undefined;
  /** Memcached servers (`MEMCACHED_SERVERS`, `host:port,host:port`): a shared cache. */
  readonly memcachedServers: string | undefined;
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
  const schema = env.DATABASE_SCHEMA?.trim() || undefined;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new KairosError(
      'CONFIG_INVALID',
      'DATABASE_SCHEMA: must be lower-case letters, digits and _ (at most 63)',
    );
  }
  return {
    home: path.resolve(env.KAIROS_HOME?.trim() || 'var'),
    databaseUrl: url,
    databaseSchema: schema,
    redisUrl: redisUrl(env.REDIS_URL),
    memcachedServers: memcachedServers(env.MEMCACHED_SERVERS),
  };
}

function redisUrl(value: string | undefined): string | undefined {
  const url = value?.trim() || undefined;
  if (url !== undefined && !/^rediss?:\/\/[^/\s]+/.test(url)) {
    throw new KairosError('CONFIG_INVALID', 'REDIS_URL: must be a redis:// or rediss:// URL');
  }
  return url;
}

const MEMCACHED_SERVER = /^(?:[^:@,\s]+:[^@,\s]*@)?[A-Za-z0-9.-]+(?::(\d{1,5}))?$/;

function memcachedServers(value: string | undefined): string | undefined {
  const list = value?.trim() || undefined;
  if (list === undefined) return undefined;
  for (const server of list.split(',')) {
    const match = MEMCACHED_SERVER.exec(server.trim());
    const port = Number(match?.[1] ?? 11211);
    if (match === null || port < 1 || port > 65535) {
      throw new KairosError(
        'CONFIG_INVALID',
        `MEMCACHED_SERVERS: "${server.trim().replace(/:[^@]*@/, ':***@')}" must be host[:port] (port 1-65535), servers separated by commas`,
      );
    }
  }
  return list;
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
    databaseSchema: config.databaseSchema ?? null,
    redisUrl: config.redisUrl ? config.redisUrl.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@') : null,
    memcachedServers: config.memcachedServers
      ? config.memcachedServers.replace(/([^,:@\s]+):[^@,]*@/g, '$1:***@')
      : null,
  };
}
