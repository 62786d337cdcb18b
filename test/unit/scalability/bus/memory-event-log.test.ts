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
});
