import fc from 'fast-check';
import { storedInOrder } from '../../../src/api/ws-stored-order.js';

/** A promise and its settlers. */
const deferred = () => {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined);
  return { promise, resolve, reject };
};
/** Every pending callback run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('storedInOrder: frames wait for their events to be stored, in order', () => {
  it('runs nothing before its commit resolves, then each in the order given', async () => {
    const commits = [deferred(), deferred()];
    let next = 0;
    const after = storedInOrder(() => commits[next]!.promise);
    const ran: string[] = [];
    after('a', () => ran.push('a1'));
    after('a', () => ran.push('a2'));
    next = 1;
    after('a', () => ran.push('a3'));
    await settle();
    expect(ran).toEqual([]);
    // The later commit first: its frame still waits behind the earlier ones.
    commits[1]!.resolve();
    await settle();
    expect(ran).toEqual([]);
    commits[0]!.resolve();
    await settle();
    expect(ran).toEqual(['a1', 'a2', 'a3']);
  });

  it('without a commit to wait for, runs at once, unless an earlier one of the account waits', async () => {
    const commit = deferred();
    let pending: Promise<void> | undefined;
    const after = storedInOrder(() => pending);
    const ran: string[] = [];
    after('a', () => ran.push('now'));
    expect(ran).toEqual(['now']);
    pending = commit.promise;
    after('a', () => ran.push('a1'));
    pending = undefined;
    after('a', () => ran.push('a2'));
    after('b', () => ran.push('b1'));
    expect(ran).toEqual(['now', 'b1']);
    commit.resolve();
    await settle();
    expect(ran).toEqual(['now', 'b1', 'a1', 'a2']);
  });

  it("an account's frames do not wait for another's commit", async () => {
    const commits = new Map([
      ['a', deferred()],
      ['b', deferred()],
    ]);
    const after = storedInOrder((id) => commits.get(id)!.promise);
    const ran: string[] = [];
    after('a', () => ran.push('a'));
    after('b', () => ran.push('b'));
    commits.get('b')!.resolve();
    await settle();
    expect(ran).toEqual(['b']);
  });

  it('drops what a failed commit covers; what a later commit covers goes', async () => {
    const commits = [deferred(), deferred()];
    let next = 0;
    const after = storedInOrder(() => commits[next]!.promise);
    const ran: string[] = [];
    after('a', () => ran.push('lost'));
    next = 1;
    after('a', () => ran.push('kept'));
    commits[0]!.reject(new Error('commit failed'));
    commits[1]!.resolve();
    await settle();
    expect(ran).toEqual(['kept']);
  });

  it('property: per account, the order given, each only after its commit, whatever order commits end in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.boolean()), { maxLength: 30 }),
        fc.infiniteStream(fc.nat()),
        async (calls, picks) => {
          // Each call either starts a new commit of its account or joins the account's last one.
          const commits: { account: string; d: ReturnType<typeof deferred>; done: boolean }[] = [];
          const last = new Map<string, (typeof commits)[number]>();
          const ran: { account: string; i: number; commit: (typeof commits)[number] }[] = [];
          let current: (typeof commits)[number];
          const after = storedInOrder(() => current.d.promise);
          calls.forEach(([account, fresh], i) => {
            let c = last.get(account);
            if (!c || fresh) {
              c = { account, d: deferred(), done: false };
              commits.push(c);
              last.set(account, c);
            }
            current = c;
            const mine = c;
            after(account, () => {
              if (!mine.done) throw new Error(`call ${i} ran before its commit`);
              ran.push({ account, i, commit: mine });
            });
          });
          // Commits end in an arbitrary order, but each account's in the order begun (a
          // journal commits in turn).
          const open = [...commits];
          const it = picks[Symbol.iterator]();
          while (open.length > 0) {
            const heads = [...new Set(open.map((c) => c.account))].map((a) =>
              open.find((c) => c.account === a)!,
            );
            const c = heads[it.next().value % heads.length]!;
            open.splice(open.indexOf(c), 1);
            c.done = true;
            c.d.resolve();
            await settle();
          }
          expect(ran.length).toBe(calls.length);
          for (const a of ['a', 'b', 'c']) {
            const is = ran.filter((r) => r.account === a).map((r) => r.i);
            expect(is).toEqual([...is].sort((x, y) => x - y));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
