import type { Redis } from 'ioredis';
import type * as Memjs from 'memjs';
import type { Client } from 'memjs';
import { KairosError } from '../trading/core/errors.js';
import { releaseRejectedCommandTimers } from './redis-command-timers.js';

/** The Redis client type, for folders that may not import ioredis themselves (e.g. the API). */
export type RedisClient = Redis;
/** The Memcached client type. */
export type MemcachedClient = Client;

/** Connection timeouts. */
export interface ConnectOptions {
  /** Time to open a connection (default 2000 ms). */
  readonly connectTimeoutMs?: number;
  /** Time a command may take before it fails (default 1000 ms). */
  readonly commandTimeoutMs?: number;
  /**
   * Memcached: the prefix of the key a probe reads (`<prefix>probe`; default `kairos:`), the
   * service's key prefix (`KAIROS_REDIS_PREFIX`), so that it too stays in its deployment's keys.
   */
  readonly keyPrefix?: string;
}

/**
 * Opens a Redis client and checks it answers `PING`, or throws `CACHE_UNAVAILABLE` naming
 * `REDIS_URL` (password masked) and the driver's reason.
 *
 * The client fails fast instead of queueing: commands sent while the connection is down
 * reject at once (no offline queue, one retry, a command timeout), so callers can fail closed.
 * It reconnects in the background. Close it with `quit()`.
 *
 * @example
 * const redis = await connectRedis('redis://127.0.0.1:6379');
 */
export async function connectRedis(url: string, options: ConnectOptions = {}): Promise<Redis> {
  // The driver is loaded by the first connection: a process without Redis never loads it (~0.1 s
  // of an embedded `kairos serve` start's CPU).
  const { Redis: Driver } = await import('ioredis');
  // A command cut by a disconnect must not hold the process for its timeout (ioredis#1535).
  releaseRejectedCommandTimers(Driver);
  const client = new Driver(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    // How long disconnect() waits for the socket to close; its timer outlives a failed connect.
    disconnectTimeout: 100,
    // No `CLIENT SETINFO` at each connect: Redis before 7.2 refuses it, and ioredis leaves a
    // refused command's timeout timer running, which held a drained `kairos serve` alive for
    // the command timeout after it stopped (every duplicated connection made one).
    disableClientInfo: true,
  });
  // Without a listener ioredis prints every failed reconnect; callers see errors on commands.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (cause) {
    client.disconnect();
    throw new KairosError(
      'CACHE_UNAVAILABLE',
      `REDIS_URL (${maskSecret(url)}) is not reachable: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/**
 * Opens a Memcached client for `servers` (`host:port,host:port`, optionally `user:pass@host:port`)
 * after checking that every server answers, or throws `CACHE_UNAVAILABLE` naming
 * `MEMCACHED_SERVERS` and the server that did not answer. Close it with `close()`.
 *
 * @example
 * const memcached = await connectMemcached('127.0.0.1:11211');
 */
export async function connectMemcached(
  servers: string,
  options: ConnectOptions = {},
): Promise<Client> {
  const { Client } = await memjs();
  const timeouts = {
    timeout: (options.commandTimeoutMs ?? 1000) / 1000,
    conntimeout: (options.connectTimeoutMs ?? 2000) / 1000,
    logger: { log: () => {} },
  };
  for (const server of servers.split(',')) {
    const probe = Client.create(server.trim(), { ...timeouts, retries: 0 });
    try {
      await probe.get(`${options.keyPrefix ?? 'kairos:'}probe`);
    } catch (cause) {
      throw new KairosError(
        'CACHE_UNAVAILABLE',
        `MEMCACHED_SERVERS: ${maskSecret(server.trim())} is not reachable: ${(cause as Error).message}`,
        { cause },
      );
    } finally {
      probe.close();
    }
  }
  return Client.create(servers, { ...timeouts, retries: 1, keepAlive: true });
}

/**
 * memjs, loaded by the first Memcached connection or probe: a process without Memcached never
 * loads it (docs/testing.md, "Test suite time").
 */
function memjs(): Promise<typeof Memjs> {
  return import('memjs');
}

/** Hides the password in `scheme://user:pass@host` and `user:pass@host`. */
function maskSecret(text: string): string {
  return text.replace(/^((?:[a-z]+:\/\/)?[^:/@]*):[^@]*@/i, '$1:***@');
}

/**
 * A reachability probe of every Memcached server in `servers` (one client per server, kept
 * open): `ping()` reads a key from each and rejects when one does not answer. For readiness
 * checks; close it with `close()`.
 *
 * @example
 * const probe = memcachedProbe('10.0.0.1:11211,10.0.0.2:11211');
 * await probe.ping();
 */
export function memcachedProbe(
  servers: string,
  options: ConnectOptions = {},
): { ping(): Promise<void>; close(): void } {
  // The clients are made at the first ping (memjs connects only at a first command anyway).
  let clients: Client[] | undefined;
  return {
    ping: async () => {
      if (!clients) {
        const { Client: Driver } = await memjs();
        clients ??= servers.split(',').map((server) =>
          Driver.create(server.trim(), {
            timeout: (options.commandTimeoutMs ?? 1000) / 1000,
            conntimeout: (options.connectTimeoutMs ?? 2000) / 1000,
            retries: 0,
            keepAlive: true,
            logger: { log: () => {} },
          }),
        );
      }
      await Promise.all(clients.map((c) => c.get(`${options.keyPrefix ?? 'kairos:'}probe`)));
    },
    close: () => {
      for (const c of clients ?? []) c.close();
    },
  };
}
