import fc from 'fast-check';
import type { EventLog, LoggedEvent } from '../../../src/scalability/bus/event-log.js';
import { MemoryEventLog } from '../../../src/scalability/bus/memory-event-log.js';
import { RedisEventLog } from '../../../src/scalability/bus/redis-event-log.js';
import { until } from '../../support/until.js';
import { testRedis, uniquePrefix } from './services.js';

/** Two instances' views of one log (two clients on the same Redis; one object in memory). */
type Pair = { a: EventLog; b: EventLog; close(): Promise<void> };

const KINDS: [string, (keep: number) => Promise<Pair>][] = [
  [
    'memory',
    async (keep) => {
      const log = new MemoryEventLog(keep);
      return { a: log, b: log, close: async () => undefined };
    },
  ],
  [
    'Redis Streams',
    async (keep) => {
      const prefix = uniquePrefix();
      const one = await testRedis(prefix);
      const two = await testRedis(prefix);
      return {
        a: new RedisEventLog(one.redis, { prefix, keep }),
        b: new RedisEventLog(two.redis, { prefix, keep }),
        close: async () => {
          await one.cleanup();
          await two.redis.quit();
        },
      };
    },
  ],
];

describe.each(KINDS)('the event log, %s', (_name, open) => {
  let log: Pair;
  beforeAll(async () => {
    log = await open(20);
  });
  afterAll(async () => {
    await log.close();
  });

  it('appends from two instances get one gapless order per channel, seen alike by every follower', async () => {
    const seenA: LoggedEvent[] = [];
    const seenB: LoggedEvent[] = [];
    const stopA = log.a.follow(['orders:x', 'orders:y'], (e) => seenA.push(e));
    const stopB = log.b.follow(['orders:x'], (e) => seenB.push(e));
    // A follower starts at the end: wait until both listen (an event appended now is seen).
    await until(
      async () => {
        await log.a.append('orders:x', 'probe');
        return seenA.length > 0 && seenB.length > 0;
      },
      10_000,
      'followers listening',
    );
    const base = await log.a.last('orders:x');
    const sent = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? log.a : log.b).append('orders:x', `e${i}`)),
    );
    await log.b.append('orders:y', 'other');
    expect([...sent].sort((p, q) => p - q)).toEqual(
      Array.from({ length: 10 }, (_, i) => base + i + 1),
    );
    await until(() => seenB.filter((e) => e.seq > base).length === 10, 10_000, 'B to see all ten');
    await until(() => seenA.some((e) => e.channel === 'orders:y'), 10_000, 'A to see y');
    const after = (xs: LoggedEvent[]) => xs.filter((e) => e.channel === 'orders:x' && e.seq > base);
    expect(after(seenA)).toEqual(after(seenB));
    expect(after(seenA).map((e) => e.seq)).toEqual(sent.slice().sort((p, q) => p - q));
    // Each sequence carries what was appended under it.
    for (const e of after(seenA)) expect(e.payload).toBe(`e${sent.indexOf(e.seq)}`);
    expect(seenB.every((e) => e.channel === 'orders:x')).toBe(true);
    await stopA();
    await stopB();
  });

  it('a reader resumes after any sequence, on either instance, and is told when events were dropped', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.nat(70), async (count, from) => {
        const channel = `bars:p${Math.floor(Math.random() * 1e9)}`;
        for (let i = 1; i <= count; i++) await log.a.append(channel, `b${i}`);
        const after = Math.min(from, count);
        const r = await log.b.read(channel, after, 1000);
        // The log keeps the last 20.
        const kept = r.events.map((e) => e.seq);
        expect(kept).toEqual(kept.length ? range(kept[0]!, count) : []);
        expect(r.events.every((e) => e.payload === `b${e.seq}`)).toBe(true);
        if (r.truncated) {
          expect(kept[0] ?? count + 1).toBeGreaterThan(after + 1);
        } else {
          expect(kept).toEqual(range(after + 1, count));
        }
        if (count - after <= 20) expect(r.truncated).toBe(false);
        expect(await log.b.last(channel)).toBe(count);
      }),
      { numRuns: 15 },
    );
  });

  it('keeps an event appended under the same `once` key by two instances once, under its first sequence', async () => {
    const channel = `bars:once${Math.floor(Math.random() * 1e9)}`;
    const first = await log.a.append(channel, 'bar-1', { once: '60000' });
    expect(await log.b.append(channel, 'bar-1 again', { once: '60000' })).toBe(first);
    const second = await log.b.append(channel, 'bar-2', { once: '120000' });
    expect(second).toBe(first + 1);
    // Without a key, or another channel, nothing is taken for a repeat.
    expect(await log.a.append(channel, 'plain')).toBe(first + 2);
    expect(await log.a.append(`${channel}x`, 'bar-1', { once: '60000' })).toBe(1);
    const r = await log.a.read(channel, 0, 100);
    expect(r.events.map((e) => e.payload)).toEqual(['bar-1', 'bar-2', 'plain']);
  });

  it('follows from a given sequence: the kept events after it first, then the new ones, in order', async () => {
    const channel = `orders:from${Math.floor(Math.random() * 1e9)}`;
    for (let i = 1; i <= 5; i++) await log.a.append(channel, `e${i}`);
    const seen: number[] = [];
    const stop = log.b.follow([channel], (e) => seen.push(e.seq), new Map([[channel, 2]]));
    await until(() => seen.length >= 3, 10_000, 'the kept events after 2');
    await log.a.append(channel, 'e6');
    await until(() => seen.length >= 4, 10_000, 'the new event');
    expect(seen).toEqual([3, 4, 5, 6]);
    await stop();
  });

  it('keeps exactly its bound: a reader one event further back is told it was dropped', async () => {
    const channel = `orders:bound${Math.floor(Math.random() * 1e9)}`;
    for (let i = 1; i <= 30; i++) await log.a.append(channel, `e${i}`);
    const kept = await log.b.read(channel, 10, 100);
    expect([kept.truncated, kept.events.map((e) => e.seq)]).toEqual([false, range(11, 30)]);
    const dropped = await log.b.read(channel, 9, 100);
    expect([dropped.truncated, dropped.events[0]?.seq]).toEqual([true, 11]);
  });

  it('takes a payload as a function: read and followed as its text, made at most once', async () => {
    const channel = `orders:made${Math.floor(Math.random() * 1e9)}`;
    let calls = 0;
    const seen: string[] = [];
    const stop = log.b.follow([channel], (e) => seen.push(e.payload));
    await until(
      async () => {
        await log.a.append(channel, 'probe');
        return seen.length > 0;
      },
      10_000,
      'the follower listening',
    );
    const seq = await log.a.append(channel, () => `{"n":${++calls}}`);
    // Several probes may be in flight before the follower saw the first: wait for the made one.
    await until(() => seen.includes('{"n":1}'), 10_000, 'the made event');
    const read = await log.b.read(channel, seq - 1, 10);
    expect([seen.filter((p) => p !== 'probe'), read.events.map((e) => e.payload), calls]).toEqual([
      ['{"n":1}'],
      ['{"n":1}'],
      1,
    ]);
    await stop();
  });

  it('refuses a channel name that is not a plain key', async () => {
    await expect(log.a.append('orders x', '{}')).rejects.toThrow(/event channel "orders x"/);
    await expect(log.a.append('', '{}')).rejects.toThrow(/event channel/);
  });
});

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
