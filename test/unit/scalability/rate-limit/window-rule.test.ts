import fc from 'fast-check';
import { MemoryBudget } from '../../../../src/scalability/rate-limit/memory-budget.js';
import { windowRule } from '../../../../src/scalability/rate-limit/window-rule.js';

const MINUTE = 60_000;

describe('windowRule', () => {
  it('keeps a greedy client under 80 % of the limit in every clock minute, whatever it asks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 200, max: 10_000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 1, max: 20 })), {
          minLength: 50,
          maxLength: 400,
        }),
        fc.integer({ min: 0, max: MINUTE - 1 }),
        async (limit, calls, offset) => {
          let t = 10 * MINUTE + offset;
          const rule = windowRule(limit, MINUTE);
          const budget = new MemoryBudget({ rule, now: () => t });
          const used = new Map<number, number>();
          for (const [gap, w] of calls) {
            t += gap;
            const weight = Math.min(w, rule.capacity);
            if ((await budget.take('v', weight)).ok) {
              const minute = Math.floor(t / MINUTE);
              used.set(minute, (used.get(minute) ?? 0) + weight);
            }
          }
          for (const u of used.values()) expect(u).toBeLessThanOrEqual(Math.floor(limit * 0.8));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('still lets most of the allowed weight through at a steady rate', () => {
    const r = windowRule(1200, MINUTE);
    expect(r).toEqual({ capacity: 137, intervalMs: 10_000 });
    expect((r.capacity * MINUTE) / r.intervalMs).toBeGreaterThan(0.65 * 1200);
  });
});
