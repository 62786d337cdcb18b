import fc from 'fast-check';
import type { LoggedEvent } from '../../../../src/scalability/bus/event-log.js';
import { MemoryEventLog } from '../../../../src/scalability/bus/memory-event-log.js';

// The embedded log against a model: every append numbered 1, 2, 3, … and only the last `keep`
// readable, however many appends came before (several times the bound, between its trims).
describe('the embedded event log', () => {
  it('reads and replays exactly the last `keep` events after any number of appends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 62 }), // after: sequences start at 1; 0 reads from the start
        fc.integer({ min: 1, max: 70 }),
        async (keep, appends, after, limit) => {
          const log = new MemoryEventLog(keep);
          const seqs: number[] = [];
          for (let i = 1; i <= appends; i++) seqs.push(await log.append('orders:a', `p${i}`));
          expect(seqs).toEqual(Array.from({ length: appends }, (_, i) => i + 1));
          const first = Math.max(1, appends - keep + 1);
          const model = seqs.filter((s) => s >= first && s > after);
          const r = await log.read('orders:a', after, limit);
          expect(r.events.map((e) => [e.seq, e.payload])).toEqual(
            model.slice(0, limit).map((s) => [s, `p${s}`]),
          );
          expect(r.truncated).toBe(after + 1 < first);
          expect(await log.last('orders:a')).toBe(appends);
          const replayed: LoggedEvent[] = [];
          const stop = log.follow(
            ['orders:a'],
            (e) => replayed.push(e),
            new Map([['orders:a', after]]),
          );
          expect(replayed.map((e) => e.seq)).toEqual(model);
          await log.append('orders:a', 'next');
          expect(replayed.at(-1)?.seq).toBe(appends + 1);
          await stop();
        },
      ),
    );
  });

  // The WebSocket gateway hands its order frames as functions: a server nobody watches (no
  // follower, no resume) never makes them.
  it('makes a payload given as a function only when the event is first read', async () => {
    const log = new MemoryEventLog(4);
    const made: number[] = [];
    const payload = (n: number) => () => {
      made.push(n);
      return `p${n}`;
    };
    for (let n = 1; n <= 3; n++) await log.append('orders:a', payload(n));
    expect(made).toEqual([]);
    expect((await log.read('orders:a', 1, 1)).events.map((e) => e.payload)).toEqual(['p2']);
    expect(made).toEqual([2]);
    const followed: string[] = [];
    const stop = log.follow(
      ['orders:a'],
      (e) => followed.push(e.payload),
      new Map([['orders:a', 0]]),
    );
    await log.append('orders:a', payload(4));
    expect([followed, made]).toEqual([
      ['p1', 'p2', 'p3', 'p4'],
      [2, 1, 3, 4],
    ]);
    expect((await log.read('orders:a', 0, 10)).events.map((e) => e.payload)).toEqual([
      'p1',
      'p2',
      'p3',
      'p4',
    ]);
    expect(made).toHaveLength(4);
    await stop();
  });
});
