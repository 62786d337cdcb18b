import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';
import {
  OwnerUnavailableError,
  type AccountCommand,
  type CommandAnswer,
  type CommandHandler,
  type CommandStream,
} from './command-stream.js';
import { unblock } from './unblock.js';

/** Settings of a `RedisCommandStream`. */
export interface RedisCommandStreamOptions {
  /** Key prefix: streams `<prefix>cmd:<install>:<account>`, replies `<prefix>reply:<id>` (default `kairos:`). */
  readonly prefix?: string;
  /**
   * The install whose accounts the streams carry (`<prefix>cmd:<install>:<account>`; absent:
   * `<prefix>cmd:<account>`). Account ids repeat between installs (every install has `desk`):
   * two installs on one Redis under one prefix must not read each other's commands, or an order
   * handed off in one is placed on the other's account of the same id.
   */
  readonly install?: string;
  /** This instance's consumer name in each account's group (default host, pid and a UUID). */
  readonly consumer?: string;
  /** How long `send` waits for the owner's answer, ms (default 5 000). */
  readonly waitMs?: number;
  /** How long an answer waits for its caller, ms (default 60 000); older commands are not run. */
  readonly replyTtlMs?: number;
  /** Entries kept per account stream (approximate, default 10 000). */
  readonly keep?: number;
  /** How long one `XREADGROUP` blocks, ms (default 1 000; a stop waits at most this). */
  readonly blockMs?: number;
  /** Wall-clock ms (default `Date.now`): a command's age, against its stream id's time. */
  readonly now?: () => number;
  /** A handler threw, or a command could not be read (a bug or a foreign writer). */
  readonly onError?: (err: unknown, cmd: AccountCommand | null) => void;
}

/** The consumer group every owner of an account reads in. */
const GROUP = 'owners';
/** Commands read (and run side by side) at once per account. */
const BATCH = 50;

type Entry = [id: string, fields: string[]];
/** What goes on the stream: the command, and the list its answer is pushed to. */
interface Envelope {
  readonly cmd: AccountCommand;
  readonly replyTo: string;
}

/**
 * Commands handed to an account's owner over Redis Streams (`docs/scalability.md`, "Order
 * hand-off"): `XADD` on `<prefix>cmd:<install>:<account>`; the owner reads in the group `owners` with
 * `XREADGROUP` on a connection of its own, first claiming with `XAUTOCLAIM` what a previous owner
 * left unacknowledged; it answers by pushing to the caller's reply list and acknowledging in one
 * `MULTI`, and the caller waits on that list with `BLPOP`. A command answered twice (its owner
 * died between running and acknowledging it) is harmless: the handler is idempotent by the
 * request's idempotency key, and the second answer expires unread.
 *
 * @example
 * const commands = new RedisCommandStream(await connectRedis(config.redisUrl));
 * const stop = commands.serve('acct-1', handler); // on the owner
 * const answer = await commands.send(cmd); // on any instance
 */
export class RedisCommandStream implements CommandStream {
  readonly #prefix: string;
  /** `<prefix>cmd:` and the install: an account's stream is this and its id. */
  readonly #streams: string;
  readonly #consumer: string;
  readonly #waitMs: number;
  readonly #replyTtlMs: number;
  readonly #blockMs: number;
  readonly #now: () => number;
  /** Idle connections for `BLPOP` (a blocking command holds its connection). */
  readonly #idle: Redis[] = [];
  readonly #open = new Set<Redis>();
  readonly #stops = new Set<() => Promise<void>>();

  constructor(
    private readonly redis: Redis,
    private readonly opts: RedisCommandStreamOptions = {},
  ) {
    this.#prefix = opts.prefix ?? 'kairos:';
    this.#streams = `${this.#prefix}cmd:${opts.install === undefined ? '' : `${opts.install}:`}`;
    this.#consumer = opts.consumer ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#waitMs = opts.waitMs ?? 5_000;
    this.#replyTtlMs = opts.replyTtlMs ?? 60_000;
    this.#blockMs = opts.blockMs ?? 1_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The stream of an account's commands (of this install). */
  streamOf(accountId: string): string {
    return `${this.#streams}${accountId}`;
  }

  async send(cmd: AccountCommand): Promise<CommandAnswer> {
    // The reply list is named by the stream, never by the client's request id (which a client
    // chooses, so two could collide).
    const replyTo = `${this.#prefix}reply:${randomUUID()}`;
    const envelope: Envelope = { cmd, replyTo };
    const retryAfterS = Math.max(1, Math.ceil(this.#waitMs / 1000));
    let conn: Redis | undefined;
    try {
      await this.redis.xadd(
        this.streamOf(cmd.accountId),
        'MAXLEN',
        '~',
        String(this.opts.keep ?? 10_000),
        '*',
        'c',
        JSON.stringify(envelope),
      );
      conn = await this.#blocking();
      const got = await conn.blpop(replyTo, this.#waitMs / 1000);
      this.#idle.push(conn);
      conn = undefined;
      if (got) return JSON.parse(got[1]) as CommandAnswer;
    } catch (cause) {
      // Redis away: the owner cannot be reached from here, like an owner that does not answer.
      if (conn) this.#drop(conn);
      throw Object.assign(new OwnerUnavailableError(cmd.accountId, retryAfterS, this.#waitMs), {
        cause,
      });
    }
    throw new OwnerUnavailableError(cmd.accountId, retryAfterS, this.#waitMs);
  }

  serve(accountId: string, handle: CommandHandler): () => Promise<void> {
    const stream = this.streamOf(accountId);
    const reader = this.#connection(this.#blockMs);
    let stopped = false;
    /** The reader's connection id, for `CLIENT UNBLOCK` at the stop. */
    let readerId: number | undefined;
    const loop = (async () => {
      // After a start or an error: the group made (idempotent), then every entry left pending
      // (by a dead owner, or by this one when an answer could not be written) claimed and run.
      let fresh = true;
      while (!stopped) {
        try {
          if (reader.status !== 'ready') await reader.connect();
          if (fresh) {
            readerId = (await reader.client('ID')) as number;
            await this.#group(stream);
            await this.#claim(stream, handle, () => stopped);
            fresh = false;
          }
          const got = (await reader.xreadgroup(
            'GROUP',
            GROUP,
            this.#consumer,
            'COUNT',
            BATCH,
            'BLOCK',
            this.#blockMs,
            'STREAMS',
            stream,
            '>',
          )) as [string, Entry[]][] | null;
          for (const [, entries] of got ?? []) {
            // The commands read together start in the stream's order and run side by side, as
            // concurrent requests to the owner would (its journal commits them in one write); one
            // at a time, each waited for the commit before the next began, which held an account
            // to one order per commit (about 100/s through the hand-off, 1,000/s locally).
            const running: Promise<void>[] = [];
            for (const [id, fields] of entries) {
              // Stopped (the account lost): the rest stay pending, for the next owner to claim.
              if (stopped) break;
              running.push(this.#run(stream, id, fields, handle));
            }
            await Promise.all(running);
          }
        } catch {
          if (stopped) return;
          fresh = true;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    })();
    const stop = async () => {
      stopped = true;
      this.#stops.delete(stop);
      // The blocked read answers at once (as if it timed out), so nothing of it outlives the
      // stop: a read cut by the disconnect left its timeout timer holding the process for up
      // to `blockMs` + 2 s after a drain.
      await unblock(this.redis, readerId);
      reader.disconnect();
      this.#open.delete(reader);
      await loop;
    };
    this.#stops.add(stop);
    return stop;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#stops].map((stop) => stop()));
    for (const conn of this.#open) conn.disconnect();
    this.#open.clear();
    this.#idle.length = 0;
  }

  async #group(stream: string): Promise<void> {
    // From the stream's start: a command sent before any owner ever read is still taken.
    await this.redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM').catch((e: Error) => {
      if (!e.message.includes('BUSYGROUP')) throw e;
    });
  }

  /** Claims and runs every pending entry of the group, whoever held it. */
  async #claim(stream: string, handle: CommandHandler, stopped: () => boolean): Promise<void> {
    let cursor = '0-0';
    do {
      const [next, entries] = (await this.redis.xautoclaim(
        stream,
        GROUP,
        this.#consumer,
        0,
        cursor,
        'COUNT',
        100,
      )) as [string, (Entry | null)[]];
      for (const e of entries) if (e && !stopped()) await this.#run(stream, e[0], e[1], handle);
      cursor = next;
    } while (cursor !== '0-0' && !stopped());
  }

  /** Runs one entry; answers and acknowledges it in one step. */
  async #run(stream: string, id: string, fields: string[], handle: CommandHandler): Promise<void> {
    const envelope = envelopeOf(fields);
    // Unreadable, or older than any caller still waits for: acknowledged, not run (a client
    // that got 503 retries with its key, so nothing is lost; an old command is never a surprise).
    if (!envelope || this.#now() - Number(id.slice(0, id.indexOf('-'))) > this.#replyTtlMs) {
      if (!envelope) this.opts.onError?.(new Error(`${stream} ${id}: not a command`), null);
      await this.redis.xack(stream, GROUP, id);
      return;
    }
    let answer: CommandAnswer;
    try {
      answer = await handle(envelope.cmd);
    } catch (err) {
      this.opts.onError?.(err, envelope.cmd);
      await this.redis.xack(stream, GROUP, id);
      return;
    }
    await this.redis
      .multi()
      .lpush(envelope.replyTo, JSON.stringify(answer))
      .pexpire(envelope.replyTo, this.#replyTtlMs)
      .xack(stream, GROUP, id)
      .exec();
  }

  /** A connection for one `BLPOP`: an idle one, or a new one. */
  async #blocking(): Promise<Redis> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    const conn = this.#connection(this.#waitMs);
    await conn.connect();
    return conn;
  }

  /** A connection of the stream's own, whose commands may block `blockMs`. */
  #connection(blockMs: number): Redis {
    const conn = this.redis.duplicate({ lazyConnect: true, commandTimeout: blockMs + 2_000 });
    conn.on('error', () => {});
    this.#open.add(conn);
    return conn;
  }

  #drop(conn: Redis): void {
    conn.disconnect();
    this.#open.delete(conn);
  }
}

function envelopeOf(fields: string[]): Envelope | null {
  const i = fields.indexOf('c');
  if (i < 0) return null;
  try {
    const e = JSON.parse(fields[i + 1] ?? '') as Partial<Envelope>;
    return e && typeof e.replyTo === 'string' && e.cmd && typeof e.cmd === 'object'
      ? (e as Envelope)
      : null;
  } catch {
    return null;
  }
}
