import fc from 'fast-check';
import { ClientCursors } from '../../../src/api/ws-cursors.js';
import type { EventLog, LoggedEvent } from '../../../src/scalability/bus/event-log.js';
import { EventFollower } from '../../../src/scalability/bus/event-follower.js';
import { MemoryEventLog } from '../../../src/scalability/bus/memory-event-log.js';

const CH = 'ws:acct-1';
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/**
 * One instance: its follower of the shared log (delivering each event `times()` times: 0 loses
 * it, 2 doubles it) and one client's cursors, pushing into `got`.
 */
function instance(shared: MemoryEventLog, times: () => number, got: number[]) {
  const log: EventLog = {
    append: (c, p) => shared.append(c, p),
    read: (c, a, l) => shared.read(c, a, l),
    last: (c) => shared.last(c),
    follow: (channels, on, from) =>
      shared.follow(
        channels,
        (e) => {
          for (let i = times(); i > 0; i--) on(e);
        },
        from,
      ),
  };
  const cursors = new ClientCursors();
  const follower = new EventFollower(log, (e) => {
    if (cursors.offer('orders', e.channel, e.seq)) got.push(e.seq);
  });
  return { log, cursors, follower };
}

describe('ClientCursors: resume after a reconnect to another instance', () => {
  it('any split of the frames into delivered, doubled, lost and resumed parts gives the client each frame once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 30 }), // frames while connected to instance A
        fc.integer({ min: 0, max: 30 }), // frames while disconnected
        // Frames appended during each read of the resume: before it reads, and after (the read's
        // answer is then already behind the live frames).
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), {
          maxLength: 40,
        }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 50 }), // deliveries per event
        fc.integer({ min: 1, max: 8 }), // resume batch
        fc.integer({ min: 0, max: 10 }), // live frames after the resume
        async (connected, missed, duringResume, deliveries, batch, after) => {
          const shared = new MemoryEventLog();
          let d = 0;
          let sure = false;
          const times = () => Math.max(sure ? 1 : 0, deliveries[d++ % deliveries.length]!);
          let n = 0;
          const append = async () => void (await shared.append(CH, `f${++n}`));
          const got: number[] = [];

          // On A from the start (its client subscribed before any frame).
          const a = instance(shared, times, got);
          await a.follower.follow([CH], () => 0);
          a.cursors.startAfter('orders', CH, 0);
          for (let i = 0; i < connected; i++) await append();
          await settle();
          // A lost frame is read when the next one arrives: the last ones may not be pushed yet.
          const lastSeen = got.at(-1) ?? 0;
          await a.follower.close();

          for (let i = 0; i < missed; i++) await append();

          // On B, which follows the channel already (another client) and resumes after lastSeen.
          const b = instance(shared, times, got);
          await b.follower.follow([CH]);
          let r = 0;
          const resumed = await b.cursors.resume(
            'orders',
            CH,
            lastSeen,
            {
              read: async (c, afterSeq, limit) => {
                const [early, late] = duringResume[r++] ?? [0, 0];
                for (let i = early; i > 0; i--) await append();
                const answer = await shared.read(c, afterSeq, limit);
                for (let i = late; i > 0; i--) await append();
                return answer;
              },
              pushed: (c) => b.follower.pushed(c) ?? 0,
              push: (e: LoggedEvent) => got.push(e.seq),
            },
            batch,
          );
          expect(resumed).toBe(true);
          for (let i = 0; i < after; i++) await append();
          // One more frame delivered for sure: every frame before it that was lost is read.
          sure = true;
          await append();
          await settle();
          expect(got).toEqual(Array.from({ length: n }, (_, i) => i + 1));
          await b.follower.close();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers false (nothing pushed) when the log no longer keeps the frame after `after`', async () => {
    const log = new MemoryEventLog(5);
    for (let i = 0; i < 12; i++) await log.append(CH, `f${i}`);
    const cursors = new ClientCursors();
    const pushed: number[] = [];
    const src = {
      read: (c: string, a: number, l: number) => log.read(c, a, l),
      pushed: () => 12,
      push: (e: LoggedEvent) => pushed.push(e.seq),
    };
    expect(await cursors.resume('orders', CH, 3, src)).toBe(false);
    expect(pushed).toEqual([]);
    expect(await cursors.resume('orders', CH, 7, src)).toBe(true);
    expect(pushed).toEqual([8, 9, 10, 11, 12]);
    // Live frames after the resume: only the new ones.
    expect([12, 13, 13].map((s) => cursors.offer('orders', CH, s))).toEqual([false, true, false]);
  });

  it('holds live frames back during a resume and per kind', () => {
    const cursors = new ClientCursors();
    cursors.hold('orders', CH, 4);
    expect(cursors.offer('orders', CH, 5)).toBe(false);
    cursors.startAfter('orders', CH, 4);
    expect(cursors.offer('orders', CH, 5)).toBe(true);
    expect(cursors.offer('positions', CH, 5)).toBe(true);
    cursors.drop('orders');
    expect(cursors.offer('orders', CH, 3)).toBe(true);
  });
});
