import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { assertChannel, type EventLog, type LoggedEvent, type Replay } from './event-log.js';
import { unblock } from './unblock.js';

// KEYS[1] the stream, KEYS[2] its counter, KEYS[3] the `once` key. ARGV: payload, how many to
// keep, how long the `once` key is kept (ms). The stream id is "<seq>-0", so a channel's sequence is its Redis stream id
// and a resume is one XRANGE. The length is trimmed exactly (not `~`): the bound a client may
// resume within is the configured number, not "at least".
const APPEND = `
local seen = redis.call('GET', KEYS[3])
if seen then return tonumber(seen) end
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], seq .. '-0', 'p', ARGV[1])
redis.call('SET', KEYS[3], seq, 'PX', ARGV[3])
return seq
`;

/** How long a caller's `once` key is kept (the contract's hour). */
const ONCE_KEPT_MS = 3_600_000;
/** How long the key of an append without one is kept: long enough for its retries. */
const RETRY_KEY_KEPT_MS = 120_000;
/** Waits before each retry of an append the connection did not confirm (ms). */
const RETRY_AFTER_MS = [50, 200, 500, 1_000, 2_000];

type Entry = [id: string, fields: string[]];
const seqOf = (id: string) => Number(id.slice(0, id.indexOf('-')));

/**
 * The `EventLog` of several instances: a Redis stream per channel (`XADD` with a bounded
 * length, ids that are the channel's sequence), followed with blocking `XREAD` on a connection
 * of its own. Appends from any instance get one order per channel.
 *
 * @example
 * const log = new RedisEventLog(await connectRedis(config.redisUrl));
 * await log.append('orders:acct-1', JSON.stringify(frame));
 */
export class RedisEventLog implements EventLog {
  constructor(
    private readonly redis: Redis,
    private readonly opts: { readonly prefix?: string; readonly keep?: number } = {},
  ) {}

  #stream(channel: string): string {
    assertChannel(channel);
    return `${this.opts.prefix ?? 'kairos:events:'}${channel}`;
  }

  /**
   * Appends under a `once` key, the caller's or one of its own: an append whose answer was lost
   * (a command timeout that fired while the event loop was held up, a connection cut after the
   * script ran) is retried, and a retry of one that did land answers its sequence, never a copy.
   */
  async append(
    channel: string,
    made: string | (() => string),
    opts?: { once?: string },
  ): Promise<number> {
    const payload = typeof made === 'string' ? made : made();
    const stream = this.#stream(channel);
    const once = `${stream}:once:${opts?.once ?? `r:${randomUUID()}`}`;
    const keptMs = opts?.once === undefined ? RETRY_KEY_KEPT_MS : ONCE_KEPT_MS;
    const keep = this.opts.keep ?? 10_000;
    for (let attempt = 0; ; attempt++) {
      try {
        return Number(
          await this.redis.eval(APPEND, 3, stream, `${stream}:seq`, once, payload, keep, keptMs),
        );
      } catch (e) {
        // Redis refusing the script (a wrong type, out of memory) is an answer: not retried.
        const wait = (e as Error).name === 'ReplyError' ? undefined : RETRY_AFTER_MS[attempt];
        if (wait === undefined || this.redis.status === 'end') throw e;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  async read(channel: string, afterSeq: number, limit: number): Promise<Replay> {
    const stream = this.#stream(channel);
    const [entries, oldest, last] = await Promise.all([
      this.redis.xrange(stream, `${afterSeq + 1}-0`, '+', 'COUNT', limit) as Promise<Entry[]>,
      this.redis.xrange(stream, '-', '+', 'COUNT', 1) as Promise<Entry[]>,
      this.last(channel),
    ]);
    const firstKept = oldest[0] ? seqOf(oldest[0][0]) : last + 1;
    return {
      events: entries.map(([id, fields]) => ({ channel, seq: seqOf(id), payload: fields[1]! })),
      truncated: afterSeq < last && afterSeq + 1 < firstKept,
    };
  }

  async last(channel: string): Promise<number> {
    return Number((await this.redis.get(`${this.#stream(channel)}:seq`)) ?? 0);
  }

  follow(
    channels: readonly string[],
    onEvent: (e: LoggedEvent) => void,
    from?: ReadonlyMap<string, number>,
  ): () => Promise<void> {
    const streams = channels.map((c) => this.#stream(c));
    // A blocking read holds its connection: one of its own, closed by stop.
    const reader = this.redis.duplicate();
    let stopped = false;
    /** The reader's connection id, for `CLIENT UNBLOCK` at the stop. */
    let readerId: number | undefined;
    const loop = (async () => {
      readerId = (await reader.client('ID').catch(() => undefined)) as number | undefined;
      const after = await Promise.all(
        channels.map(async (c) => `${from?.get(c) ?? (await this.last(c))}-0`),
      );
      while (!stopped) {
        let got: [string, Entry[]][] | null;
        try {
          got = (await reader.xread('BLOCK', 1000, 'STREAMS', ...streams, ...after)) as
            [string, Entry[]][] | null;
        } catch {
          // Redis away: the client reconnects; the next read resumes after the last id seen.
          if (stopped) return;
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        for (const [stream, entries] of got ?? []) {
          const i = streams.indexOf(stream);
          for (const [id, fields] of entries) {
            after[i] = id;
            onEvent({ channel: channels[i]!, seq: seqOf(id), payload: fields[1]! });
          }
        }
      }
    })();
    return async () => {
      stopped = true;
      // The blocked read answers at once: cut by the disconnect, its timeout timer would hold
      // the process after a drain.
      await unblock(this.redis, readerId);
      reader.disconnect();
      await loop.catch(() => undefined);
    };
  }
}
