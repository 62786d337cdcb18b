import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { KairosError } from '../../trading/core/errors.js';
import {
  assertBudgetKey,
  assertTake,
  banScopes,
  type Ban,
  type BudgetRule,
  type RequestBudget,
  type TakeResult,
} from './request-budget.js';

/** Options of {@link RedisBudget}. */
export interface RedisBudgetOptions {
  /** The bucket of every key, or a function choosing one per key. */
  readonly rule: BudgetRule | ((key: string) => BudgetRule);
  /** Prefix of every Redis key (default `kairos:rl:`). */
  readonly prefix?: string;
  /** The clock in ms passed to the scripts (default `Date.now`); tests pass a fake one. */
  readonly now?: () => number;
}

// KEYS[1] the bucket, KEYS[2..] the ban scopes. ARGV: nowMs, weight, capacity, intervalMs.
// Same integer token bucket as MemoryBudget: level counts weight x intervalMs. Expiry (Redis's
// own clock) only drops a bucket that is full anyway, with a minute of slack for clock skew.
const TAKE = `
local now, weight, cap, interval = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local banUntil, banReason = 0, ''
for i = 2, #KEYS do
  local b = redis.call('HMGET', KEYS[i], 'until', 'reason')
  local u = tonumber(b[1])
  if u and u > now and u > banUntil then banUntil, banReason = u, b[2] end
end
if banUntil > 0 then return {0, banUntil - now, banReason} end
local full = cap * interval
local s = redis.call('HMGET', KEYS[1], 'level', 'at')
local level, at = tonumber(s[1]), tonumber(s[2])
if level == nil or at == nil then level, at = full, now end
if now > at then
  if now - at >= interval then level = full else level = math.min(full, level + (now - at) * cap) end
  at = now
end
local cost = weight * interval
if level < cost then return {0, math.ceil((cost - level) / cap), ''} end
redis.call('HSET', KEYS[1], 'level', level - cost, 'at', at)
redis.call('PEXPIRE', KEYS[1], math.max(interval, 60000))
return {1, 0, ''}
`;

// KEYS[1] the ban. ARGV: untilMs, reason, nowMs. A later ban already set is kept.
const BLOCK = `
local untilMs, now = tonumber(ARGV[1]), tonumber(ARGV[3])
if untilMs <= now then return 0 end
local current = tonumber(redis.call('HGET', KEYS[1], 'until'))
if current and current >= untilMs then return 0 end
redis.call('HSET', KEYS[1], 'until', untilMs, 'reason', ARGV[2])
redis.call('PEXPIRE', KEYS[1], untilMs - now + 60000)
return 1
`;

/**
 * The request budget shared by every process through Redis. Each take runs one Lua script,
 * so concurrent takes from many processes never overspend; bans live in Redis too. Time comes
 * from the caller (`nowMs` is a script argument), so all processes should use synced clocks.
 * Keys: `<prefix>{<venue>}:bucket:<key>` and `<prefix>{<venue>}:ban:<scope>`; the `{venue}`
 * hash tag keeps one venue's keys in one Redis Cluster slot.
 *
 * A Redis failure throws `KairosError('CACHE_UNAVAILABLE')`; callers refuse the request.
 *
 * @example
 * const budget = new RedisBudget(redis, { rule: { capacity: 960, intervalMs: 60_000 } });
 */
export class RedisBudget implements RequestBudget {
  readonly #rule: (key: string) => BudgetRule;
  readonly #prefix: string;
  readonly #now: () => number;

  constructor(
    private readonly redis: Redis,
    options: RedisBudgetOptions,
  ) {
    const rule = options.rule;
    this.#rule = typeof rule === 'function' ? rule : () => rule;
    this.#prefix = options.prefix ?? 'kairos:rl:';
    this.#now = options.now ?? Date.now;
  }

  async take(key: string, weight = 1): Promise<TakeResult> {
    assertBudgetKey(key);
    const rule = this.#rule(key);
    assertTake(rule, weight);
    const keys = [
      this.#key(key, 'bucket', key),
      ...banScopes(key).map((s) => this.#key(key, 'ban', s)),
    ];
    const [ok, retryAfterMs, ban] = (await this.#run(TAKE, keys, [
      this.#now(),
      weight,
      rule.capacity,
      rule.intervalMs,
    ])) as [number, number, string];
    if (ok === 1) return { ok: true };
    return ban ? { ok: false, retryAfterMs, ban } : { ok: false, retryAfterMs };
  }

  async block(key: string, untilMs: number, reason: string): Promise<void> {
    assertBudgetKey(key);
    await this.#run(BLOCK, [this.#key(key, 'ban', key)], [Math.ceil(untilMs), reason, this.#now()]);
  }

  async blockedUntil(key: string): Promise<Ban | undefined> {
    assertBudgetKey(key);
    const now = this.#now();
    let latest: Ban | undefined;
    for (const scope of banScopes(key)) {
      const [until, reason] = await this.#call(() =>
        this.redis.hmget(this.#key(key, 'ban', scope), 'until', 'reason'),
      );
      const untilMs = Number(until);
      if (until !== null && untilMs > now && (latest === undefined || untilMs > latest.untilMs)) {
        latest = { untilMs, reason: reason ?? '' };
      }
    }
    return latest;
  }

  #key(key: string, kind: 'bucket' | 'ban', name: string): string {
    return `${this.#prefix}{${key.split('/')[0]}}:${kind}:${name}`;
  }

  /** EVALSHA, loading the script on NOSCRIPT (first use, or after a Redis restart). */
  async #run(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    const sha = sha1(script);
    return this.#call(async () => {
      try {
        return await this.redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
        return this.redis.eval(script, keys.length, ...keys, ...args);
      }
    });
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      throw new KairosError(
        'CACHE_UNAVAILABLE',
        `rate-limit store (Redis) failed, requests are refused: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
}

const shas = new Map<string, string>();
function sha1(script: string): string {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}
