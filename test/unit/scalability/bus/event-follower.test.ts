import fc from 'fast-check';
import type { EventLog, LoggedEvent } from '../../../../src/scalability/bus/event-log.js';
import { EventFollower } from '../../../../src/scalability/bus/event-follower.js';
import { MemoryEventLog } from '../../../../src/scalability/bus/memory-event-log.js';

/** A log whose follower is driven by the test: it hands on whatever the test says, when it says. */
class DrivenLog implements EventLog {
  readonly inner = new MemoryEventLog();
  handler: ((e: LoggedEvent) => void) | null = null;
  follows = 0;
  append(channel: string, payload: string) {
    return this.inner.append(channel, payload);
  }
  read(channel: string, afterSeq: number, limit: number) {
    return this.inner.read(channel, afterSeq, limit);
  }
  last(channel: string) {
    return this.inner.last(channel);
  }
  follow(_channels: readonly string[], onEvent: (e: LoggedEvent) => void) {
    this.follows++;
    this.handler = onEvent;
    return async () => undefined;
  }
}

const settle = () => new Promise((r) => setImmediate(r));

describe('EventFollower', () => {
  it('hands on every event once, in order, whatever its follower delivers (twice, late, never)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        // The follower's deliveries: sequences (clamped to what exists), repeated and out of order.
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 7 }),
        async (n, deliveries, batch) => {
          const log = new DrivenLog();
          for (let i = 1; i <= n; i++) await log.append('ws:a', `e${i}`);
          const got: LoggedEvent[] = [];
          const follower = new EventFollower(log, (e) => got.push(e), { batch });
          await follower.follow(['ws:a'], () => 0);
          for (const seq of deliveries) {
            const s = Math.min(seq, n);
            log.handler!({ channel: 'ws:a', seq: s, payload: `e${s}` });
          }
          // The last event, delivered once more at the end: everything before it is read.
          log.handler!({ channel: 'ws:a', seq: n, payload: `e${n}` });
          for (let i = 0; i < 20; i++) await settle();
          expect(got.map((e) => e.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
          expect(got.every((e) => e.payload === `e${e.seq}`)).toBe(true);
          expect(follower.pushed('ws:a')).toBe(n);
          await follower.close();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('starts a new channel at its end unless told otherwise, and restarts its follower from where each channel is', async () => {
    const log = new MemoryEventLog();
    await log.append('ws:a', 'a1');
    await log.append('ws:b', 'b1');
    const got: string[] = [];
    const follower = new EventFollower(log, (e) => got.push(e.payload));
    await follower.follow(['ws:a']);
    expect(follower.pushed('ws:a')).toBe(1);
    await log.append('ws:a', 'a2');
    await follower.follow(['ws:a', 'ws:b'], (c) => (c === 'ws:b' ? 0 : undefined));
    await log.append('ws:b', 'b2');
    await follower.follow(['ws:b']);
    await log.append('ws:a', 'a3');
    expect(got).toEqual(['a2', 'b1', 'b2']);
    expect(follower.has('ws:a')).toBe(false);
    await follower.close();
  });

  it('tells of a gap the log no longer keeps, and goes on after it', async () => {
    const inner = new MemoryEventLog(3);
    const gaps: [number, number][] = [];
    let handler: (e: LoggedEvent) => void = () => undefined;
    const log: EventLog = {
      append: (c, p) => inner.append(c, p),
      read: (c, a, l) => inner.read(c, a, l),
      last: (c) => inner.last(c),
      follow: (_c, on) => {
        handler = on;
        return async () => undefined;
      },
    };
    const got: number[] = [];
    const follower = new EventFollower(log, (e) => got.push(e.seq), {
      onGap: (_c, from, to) => gaps.push([from, to]),
    });
    await follower.follow(['ws:a'], () => 0);
    for (let i = 1; i <= 10; i++) await inner.append('ws:a', `e${i}`);
    handler({ channel: 'ws:a', seq: 10, payload: 'e10' });
    for (let i = 0; i < 10; i++) await settle();
    expect(got).toEqual([8, 9, 10]);
    expect(gaps).toEqual([[1, 7]]);
    await follower.close();
  });
});
