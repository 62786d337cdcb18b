import fc from 'fast-check';
import { fairShare, planShare } from '../../../src/scalability/leases/fair-share.js';

describe('fair share of accounts among live instances', () => {
  it('is the accounts divided by the instances, rounded up; none and no instance count as one', () => {
    expect(fairShare(7, 3)).toBe(3);
    expect(fairShare(6, 3)).toBe(2);
    expect(fairShare(1, 3)).toBe(1);
    expect(fairShare(5, 0)).toBe(5);
    expect(fairShare(0, 4)).toBe(0);
  });

  it('leaves room for every account, and no instance above another by more than one (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 200 }), (a, n) => {
        const share = fairShare(a, n);
        // Every account fits somewhere.
        expect(share * n).toBeGreaterThanOrEqual(a);
        // The least that fits: one less per instance would leave some account without room.
        if (a > 0) expect((share - 1) * n).toBeLessThan(a);
        else expect(share).toBe(0);
      }),
    );
  });

  it('a round takes toward the share, or hands back exactly the surplus (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        fc.nat(),
        (accounts, instances, seed) => {
          const held = accounts.filter((_, i) => (i + seed) % 3 === 0);
          const plan = planShare({ accounts, held, instances, order: (ids) => ids });
          const share = fairShare(accounts.length, instances);
          if (held.length > share) {
            expect(plan.release).toEqual(held.slice(share));
            expect(plan.want).toBe(0);
          } else {
            expect(plan.release).toEqual([]);
            expect(plan.want).toBe(share - held.length);
            // Only accounts it does not hold, each once.
            expect(new Set(plan.tryTake).size).toBe(plan.tryTake.length);
            for (const id of plan.tryTake) expect(held).not.toContain(id);
            expect(plan.tryTake.length + held.length).toBe(accounts.length);
          }
        },
      ),
    );
  });

  it('instances that each take their share of free accounts in turn own every account exactly once (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 7 }), (a, n) => {
        const accounts = Array.from({ length: a }, (_, i) => `acc-${i}`);
        const owner = new Map<string, number>();
        const held: string[][] = Array.from({ length: n }, () => []);
        // Rounds until nothing changes: each instance tries the accounts it does not hold, and
        // takes one only when it is free (as the lease store allows).
        for (let round = 0; round < 5; round++) {
          for (let i = 0; i < n; i++) {
            const plan = planShare({
              accounts,
              held: held[i]!,
              instances: n,
              order: (ids) => [...ids].reverse(),
            });
            let want = plan.want;
            for (const id of plan.tryTake) {
              if (want <= 0) break;
              if (owner.has(id)) continue;
              owner.set(id, i);
              held[i]!.push(id);
              want--;
            }
          }
        }
        expect(owner.size).toBe(a);
        for (const h of held) expect(h.length).toBeLessThanOrEqual(fairShare(a, n));
      }),
    );
  });
});
