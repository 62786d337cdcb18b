import { sql } from 'kysely';
import type { LiveInstances } from '../../../src/scalability/leases/live-instances.js';
import { AccountLeases, type AccountCores } from '../../../src/system/account-leases.js';
import type { OwnershipChange } from '../../../src/system/account-ownership.js';
import { LeaseRepository } from '../../../src/store/lease-repository.js';
import { anyStore } from '../../support/stores.js';
import { until } from '../../support/until.js';

/**
 * A test's four accounts (`<tag>-desk`, `<tag>-a1`, `-a2`, `-a3`): the tests share the file's
 * store, where an account's lease is keyed by its id alone.
 */
const accountsOf = (tag: string): [string, string, string, string] => [
  `${tag}-desk`,
  `${tag}-a1`,
  `${tag}-a2`,
  `${tag}-a3`,
];

/** The live instances as a list the test sets (Redis's registry is tested on its own). */
const instancesOf = (live: string[]): LiveInstances => ({
  beat: async () => undefined,
  live: async () => [...live],
  leave: async () => undefined,
});

/** Cores that record what was opened and closed (and can refuse to open one). */
function recordingCores(accounts: readonly string[], refuse: Set<string> = new Set()) {
  const open = new Set<string>();
  const closed: [string, 'release' | 'lost'][] = [];
  const cores: AccountCores = {
    accounts: async () => [...accounts],
    open: async (id, fence) => {
      if (refuse.has(id)) throw new Error(`cannot open ${id}`);
      expect(typeof fence).toBe('function');
      open.add(id);
      return true;
    },
    close: async (id, how) => {
      open.delete(id);
      closed.push([id, how]);
    },
  };
  return { cores, open, closed };
}

/**
 * The file's store: one Postgres schema, not one a test (~0.5 s of Postgres's CPU each), each
 * test on accounts of its own (`accountsOf`).
 */
let shared: Awaited<ReturnType<typeof anyStore>>;

/** Runs `fn` on the file's store and a lease repository on it. */
async function withLeases(
  fn: (store: Awaited<ReturnType<typeof anyStore>>, leases: LeaseRepository) => Promise<void>,
): Promise<void> {
  await fn(shared, new LeaseRepository(shared.db));
}

/**
 * `AccountLeases` on the real lease store: instances split the accounts by the fair
 * share, hand the surplus back, take a drained instance's accounts at once, close a core whose
 * lease another owner took, and give back the lease of a core that could not open.
 */
describe('AccountLeases on the lease store', () => {
  beforeAll(async () => {
    shared = await anyStore();
  });
  afterAll(async () => {
    await shared?.drop();
  });
  const made: AccountLeases[] = [];
  /** Instance `A`, the only one alive. */
  const alone = (leases: LeaseRepository, cores: AccountCores, ttlMs: number) => {
    const l = new AccountLeases({
      leases,
      instances: instancesOf(['A']),
      owner: 'A',
      ttlMs,
      cores,
      log: () => undefined,
    });
    made.push(l);
    return l;
  };
  afterEach(async () => {
    for (const l of made.splice(0)) await l.drain();
  });

  it('two instances split four accounts two and two, each once; a drain hands over at once', async () => {
    await withLeases(async (store, leases) => {
      const accounts = accountsOf('split');
      const live = ['A'];
      const mk = (owner: string, cores: AccountCores) => {
        const l = new AccountLeases({
          leases,
          instances: instancesOf(live),
          owner,
          ttlMs: 60_000,
          cores,
          log: () => undefined,
        });
        made.push(l);
        return l;
      };
      const ca = recordingCores(accounts);
      const a = mk('A', ca.cores);
      const changes: OwnershipChange[] = [];
      a.watch((c) => changes.push(c));
      await a.round();
      expect(a.owned().sort()).toEqual([...accounts].sort());
      expect([...ca.open].sort()).toEqual([...accounts].sort());

      live.push('B');
      const cb = recordingCores(accounts);
      const b = mk('B', cb.cores);
      await a.round(); // A hands back its surplus…
      await b.round(); // …which B takes.
      expect([a.owned().length, b.owned().length]).toEqual([2, 2]);
      expect([...a.owned(), ...b.owned()].sort()).toEqual([...accounts].sort());
      expect(ca.closed.map(([, how]) => how)).toEqual(['release', 'release']);
      expect(
        changes
          .filter((c) => !c.owned)
          .map((c) => c.accountId)
          .sort(),
      ).toEqual(ca.closed.map(([id]) => id).sort());
      for (const id of a.owned()) expect(b.owns(id)).toBe(false);

      await a.drain();
      live.splice(0, 1);
      await b.round();
      expect(b.owned().sort()).toEqual([...accounts].sort());
      // Every lease is B's now, with a token above A's.
      for (const id of accounts) expect((await leases.holder(`account:${id}`))?.owner).toBe('B');
    });
  });

  it('a lease another owner took closes its core at once (lost), and says so', async () => {
    await withLeases(async (store, leases) => {
      const accounts = accountsOf('lost');
      const a2 = accounts[2];
      const c = recordingCores(accounts);
      const a = alone(leases, c.cores, 1_500); // renewed every 500 ms
      const lost: string[] = [];
      a.watch((ch) => void (!ch.owned && lost.push(ch.accountId)));
      await a.round();
      expect(a.owns(a2)).toBe(true);
      // Another owner takes it over (as after A's lease ran out while it was paused).
      await sql`update leases set owner = 'B', token = token + 1
        where resource = ${`account:${a2}`}`.execute(store.db);
      await until(() => lost.includes(a2), 10_000, 'the loss noticed');
      expect(a.owns(a2)).toBe(false);
      expect(c.closed).toEqual([[a2, 'lost']]);
      expect(c.open.has(a2)).toBe(false);
    });
  });

  it('an account whose core cannot open is not owned, and its lease is handed back', async () => {
    await withLeases(async (store, leases) => {
      const [desk, a1, a2, a3] = accountsOf('refused');
      const c = recordingCores([desk, a1, a2, a3], new Set([a3]));
      const a = alone(leases, c.cores, 60_000);
      await a.round();
      expect(a.owned().sort()).toEqual([a1, a2, desk]);
      expect((await leases.holder(`account:${a3}`))?.expiresAt).toBe(0);
      // Another instance may take it at once.
      expect(await leases.acquire(`account:${a3}`, 'B', 60_000)).not.toBeNull();
    });
  });

  it('a core whose journal failed on a store outage is reopened under its lease once the store answers', async () => {
    await withLeases(async (store, leases) => {
      const accounts = accountsOf('outage');
      const [, a1, a2] = accounts;
      const c = recordingCores(accounts);
      const failed = new Set<string>();
      let away = false;
      // The store as it answers the keeper and the rounds: away, renewals throw.
      const flaky = Object.assign(Object.create(leases) as LeaseRepository, {
        renew: (held: Parameters<LeaseRepository['renew']>[0], ttlMs: number) =>
          away ? Promise.reject(new Error('connection refused')) : leases.renew(held, ttlMs),
      });
      const lines: string[] = [];
      const a = new AccountLeases({
        leases: flaky,
        instances: instancesOf(['A']),
        owner: 'A',
        ttlMs: 60_000,
        cores: {
          ...c.cores,
          // A core opened again is a new one: its journal has not failed.
          close: (id, how) => (failed.delete(id), c.cores.close(id, how)),
          storeFailed: (id) => failed.has(id),
        },
        log: (m) => void lines.push(m),
      });
      made.push(a);
      await a.round();
      const token = (await leases.holder(`account:${a1}`))!.token;
      failed.add(a1);
      away = true;
      await a.round();
      // Still away: not reopened, told once.
      expect(c.closed).toEqual([]);
      expect(lines.filter((l) => l.startsWith('account journal failed'))).toHaveLength(1);
      away = false;
      await a.round();
      expect(c.closed).toEqual([[a1, 'lost']]);
      expect(c.open.has(a1)).toBe(true);
      expect(a.owns(a1)).toBe(true);
      expect(lines).toContain('account recovered after a store outage');
      expect((await leases.holder(`account:${a1}`))!.token).toBe(token);
      // Lost meanwhile (another owner took it): not reopened here.
      failed.add(a2);
      await sql`update leases set owner = 'B', token = token + 1
        where resource = ${`account:${a2}`}`.execute(store.db);
      await a.round();
      expect(c.open.has(a2)).toBe(true); // closed by the keeper's next renewal, not reopened
      expect(c.closed).toEqual([[a1, 'lost']]);
    });
  });
});
