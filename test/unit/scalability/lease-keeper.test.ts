import {
  LeaseKeeper,
  type KeeperTime,
  type LeaseEnd,
} from '../../../src/scalability/leases/lease-keeper.js';
import type { Lease, LeasePort } from '../../../src/scalability/leases/lease-port.js';

/** A clock and timers the test moves; due timers run when the clock passes them. */
function manualTime() {
  let now = 0;
  let next = 0;
  const timers = new Map<number, { at: number; f: () => void }>();
  const time: KeeperTime = {
    now: () => now,
    setTimeout: (f, ms) => {
      const id = next++;
      timers.set(id, { at: now + ms, f });
      return { id } as never;
    },
    clearTimeout: (t) => void timers.delete((t as { id: number }).id),
  };
  const advance = async (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = [...timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].f();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    now = end;
  };
  return { time, advance, pending: () => timers.size };
}

/** An in-memory lease store whose answers the test controls. */
function store() {
  let token = 0;
  let holder: Lease | null = null;
  const s = {
    down: false,
    renewals: 0,
    takeOver(owner: string) {
      holder = { resource: 'r', owner, token: ++token, expiresAt: 0 };
    },
    port: {
      acquire: async (resource, owner) => {
        if (holder && holder.owner !== owner) return null;
        holder = holder ?? { resource, owner, token: ++token, expiresAt: 0 };
        return holder;
      },
      renew: async (held) => {
        s.renewals++;
        if (s.down) throw new Error('store away');
        return holder && holder.owner === held.owner && holder.token === held.token ? holder : null;
      },
      release: async (held) => {
        if (holder?.token === held.token) holder = null;
      },
    } satisfies LeasePort,
  };
  return s;
}

describe('LeaseKeeper', () => {
  const keeper = (s: ReturnType<typeof store>, time: KeeperTime, lost: LeaseEnd[]) =>
    new LeaseKeeper({
      leases: s.port,
      resource: 'r',
      owner: 'me',
      ttlMs: 900,
      onLost: (why) => lost.push(why),
      time,
    });

  it('renews every third of the TTL while it holds the lease', async () => {
    const t = manualTime();
    const s = store();
    const lost: LeaseEnd[] = [];
    const k = keeper(s, t.time, lost);
    expect(await k.start()).toMatchObject({ owner: 'me', token: 1 });
    await t.advance(3000);
    expect(s.renewals).toBe(10);
    expect(lost).toEqual([]);
    expect(k.lease).toMatchObject({ token: 1 });
  });

  it('says "taken" once, at the first renewal after another owner took it, and stops', async () => {
    const t = manualTime();
    const s = store();
    const lost: LeaseEnd[] = [];
    const k = keeper(s, t.time, lost);
    await k.start();
    s.takeOver('other');
    await t.advance(3000);
    expect(lost).toEqual(['taken']);
    expect(k.lease).toBeNull();
    expect(t.pending()).toBe(0);
  });

  it('keeps trying while the store is away, and lets go when the lease would have run out', async () => {
    const t = manualTime();
    const s = store();
    const lost: LeaseEnd[] = [];
    const k = keeper(s, t.time, lost);
    await k.start();
    s.down = true;
    await t.advance(600); // two failed renewals, still within the TTL counted from the start
    expect(lost).toEqual([]);
    expect(k.lease).not.toBeNull();
    await t.advance(300);
    expect(lost).toEqual(['expired']);
    expect(k.lease).toBeNull();
  });

  it('a store that comes back in time keeps the lease', async () => {
    const t = manualTime();
    const s = store();
    const lost: LeaseEnd[] = [];
    const k = keeper(s, t.time, lost);
    await k.start();
    s.down = true;
    await t.advance(600);
    s.down = false;
    await t.advance(3000);
    expect(lost).toEqual([]);
    expect(k.lease).toMatchObject({ token: 1 });
  });

  it('another owner: start answers null and nothing is scheduled; stop hands the lease over', async () => {
    const t = manualTime();
    const s = store();
    s.takeOver('other');
    const lost: LeaseEnd[] = [];
    expect(await keeper(s, t.time, lost).start()).toBeNull();
    expect(t.pending()).toBe(0);
    const s2 = store();
    const mine = keeper(s2, t.time, lost);
    await mine.start();
    await mine.stop();
    expect(t.pending()).toBe(0);
    expect(await (s2.port as LeasePort).acquire('r', 'next', 900)).toMatchObject({
      owner: 'next',
      token: 2,
    });
    expect(lost).toEqual([]);
  });
});
