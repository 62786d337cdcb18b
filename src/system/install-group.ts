import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Config } from './config.js';

/**
 * The install an instance belongs to (the instances that share accounts): those on the same
 * database and schema, or the same embedded store (its folder), as a 12-hex-digit hash. Every
 * Redis key whose name repeats between installs (account ids: every install has `desk`; user
 * names; instance ids) is scoped by it: the heartbeats, the hand-off's command streams, the
 * WebSocket event log and the API's rate limits (`docs/scalability.md`, "Key prefix"), so two
 * installs on one Redis under one prefix never count, serve, show or throttle each other.
 * Credentials never go into it.
 *
 * @example
 * installGroup(config); // '3f9a0c1d2e4b'
 */
export function installGroup(config: Pick<Config, 'home' | 'databaseUrl' | 'databaseSchema'>) {
  let where = `embedded:${path.resolve(config.home)}`;
  if (config.databaseUrl) {
    const url = new URL(config.databaseUrl);
    where = `${url.hostname}:${url.port}${url.pathname}#${config.databaseSchema ?? 'public'}`;
  }
  return createHash('sha256').update(where).digest('hex').slice(0, 12);
}
