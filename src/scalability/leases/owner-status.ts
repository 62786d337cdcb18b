import type { Redis } from 'ioredis';

/** What a lease's holder last published about its resource, and until when it holds it. */
export interface PublishedStatus {
  /** The holder's text (its JSON), as published. */
  readonly value: string;
  /** Until when (ms, Redis's clock) the holder said it holds the resource: its last word + `holdMs`. */
  readonly heldUntil: number;
}

/**
 * What the holders of leases say about their resources, for every instance to read (an account's
 * owner publishes its venue link: `src/system/venue-link-board.ts`). A publish carries the lease's
 * fencing token, so a holder whose lease was taken (paused, then resumed) never writes over a
 * newer holder's word; each word says how long it holds (`holdMs`, the lease's TTL), so a dead
 * holder's last word is read as lapsed once that passes.
 */
export interface OwnerStatus {
  /** Publishes `value` for `resource` under lease token `token`; false: a newer token's is there. */
  publish(resource: string, token: number, value: string, holdMs: number): Promise<boolean>;
  /** The store's clock now (ms) and the last word of each resource that has one. */
  read(
    resources: readonly string[],
  ): Promise<{ now: number; words: ReadonlyMap<string, PublishedStatus> }>;
}

// KEYS[1] the resource's key; ARGV token, value, holdMs, keepMs. Stored as
// `<token>|<heldUntil>|<value>`, written only when no larger token is stored.
const PUBLISH = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local t = tonumber(string.match(cur, '^(%d+)|'))
  if t and t > tonumber(ARGV[1]) then return 0 end
end
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. (ms + tonumber(ARGV[3])) .. '|' .. ARGV[2], 'PX', ARGV[4])
return 1
`;

/** How long a word is kept after it lapsed, so a reader can say since when (a week). */
const KEEP_MS = 7 * 24 * 3_600_000;

/**
 * `OwnerStatus` in Redis: one key per resource, `<prefix><resource>`, written by one Lua script
 * (token compared, `heldUntil` from Redis's `TIME`, so instances' clocks never matter), read with
 * `TIME` and `MGET` in one `MULTI`.
 *
 * @example
 * const status = new RedisOwnerStatus(redis, 'kairos:venue-link:orders-db:');
 * await status.publish('acc-1', 7, '{"state":"UP"}', 10_000);
 */
export class RedisOwnerStatus implements OwnerStatus {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async publish(resource: string, token: number, value: string, holdMs: number): Promise<boolean> {
    const r = await this.redis.eval(
      PUBLISH,
      1,
      this.prefix + resource,
      String(token),
      value,
      String(Math.max(1, Math.round(holdMs))),
      String(KEEP_MS),
    );
    return r === 1;
  }

  async read(
    resources: readonly string[],
  ): Promise<{ now: number; words: ReadonlyMap<string, PublishedStatus> }> {
    const words = new Map<string, PublishedStatus>();
    const multi = this.redis.multi().time();
    if (resources.length > 0) multi.mget(...resources.map((r) => this.prefix + r));
    const out = (await multi.exec()) ?? [];
    for (const [err] of out) if (err) throw err;
    const [sec, micro] = out[0]![1] as [string, string];
    const now = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    const values = (out[1]?.[1] ?? []) as (string | null)[];
    values.forEach((raw, i) => {
      const m = raw === null ? null : /^(\d+)\|(\d+)\|/.exec(raw);
      if (!m || raw === null) return;
      words.set(resources[i]!, { heldUntil: Number(m[2]), value: raw.slice(m[0].length) });
    });
    return { now, words };
  }
}
