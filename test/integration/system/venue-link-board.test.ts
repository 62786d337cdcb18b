import type { Redis } from 'ioredis';
import type { AccountVenueLink, ApiAccount } from '../../../src/api/deps.js';
import { RedisOwnerStatus } from '../../../src/scalability/leases/owner-status.js';
import { VenueLinkBoard, type VenueLinkBoardConfig } from '../../../src/system/venue-link-board.js';
import { until } from '../../support/until.js';
import { testRedis, uniquePrefix } from '../scalability/services.js';

const account = (id: string, over: Partial<ApiAccount> = {}): ApiAccount => ({
  id,
  ownerUserId: 'u1',
  venue: 'binance',
  mode: 'live',
  name: id,
  credentialId: 'c1',
  startingCash: null,
  currency: 'USDT',
  createdAt: 1_000,
  disabledAt: null,
  shared: false,
  ...over,
});

const link = (
  state: AccountVenueLink['state'],
  reason: string | null,
  retryAt: number | null = null,
): AccountVenueLink => ({
  state,
  reason,
  since: 2_000,
  confirmedAt: 3_000,
  retryAt,
  balances: [],
});

/**
 * Every instance answers a live account's owner's `venueStatus` (`docs/scalability.md`, "Venue
 * status on every instance"): the owner publishes its link to Redis with its lease's fencing
 * token and a hold of one lease TTL; another instance reads it. Real Redis; the two "instances"
 * are two boards on one prefix.
 */
describe('VenueLinkBoard on Redis (RedisOwnerStatus)', () => {
  const prefix = uniquePrefix();
  let redis: Redis;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ redis, cleanup } = await testRedis(prefix)));
  afterAll(() => cleanup?.());

  const boards: VenueLinkBoard[] = [];
  afterEach(() => boards.splice(0).forEach((b) => b.close()));
  const board = (over: Partial<VenueLinkBoardConfig> = {}) => {
    const b = new VenueLinkBoard({
      status: new RedisOwnerStatus(redis, prefix),
      link: () => null,
      linked: () => [],
      token: () => undefined,
      holdMs: 10_000,
      now: () => 9_999,
      log: () => undefined,
      ...over,
    });
    boards.push(b);
    return b;
  };

  it("a publish under an older lease token never replaces a newer owner's word", async () => {
    const status = new RedisOwnerStatus(redis, prefix);
    expect(await status.publish('acc-f', 5, 'five', 10_000)).toBe(true);
    expect(await status.publish('acc-f', 4, 'four', 10_000)).toBe(false);
    expect((await status.read(['acc-f'])).words.get('acc-f')?.value).toBe('five');
    expect(await status.publish('acc-f', 6, 'six', 10_000)).toBe(true);
    const { now, words } = await status.read(['acc-f', 'acc-none']);
    expect(words.get('acc-f')?.value).toBe('six');
    expect(words.get('acc-f')!.heldUntil).toBeGreaterThan(now);
    expect(words.has('acc-none')).toBe(false);
  });

  it("the other instance reads the owner's link, the last change winning; paper, closed and local accounts are not read", async () => {
    let state = link('UP', null);
    const owner = board({
      link: (id) => (id === 'acc-1' ? state : null),
      linked: () => ['acc-1'],
      token: () => 3,
    });
    const away = board();
    // Changes in a row (one publish in flight at a time): the newest is the one left.
    owner.changed('acc-1');
    // Under a ban whose end the venue said (Redis's clock decides what is still ahead).
    const banEnds = Date.now() + 600_000;
    state = link('DOWN', 'binance: 429 Too Many Requests', banEnds);
    owner.changed('acc-1');
    owner.changed('acc-1');
    const want = {
      venue: 'DOWN',
      reason: 'binance: 429 Too Many Requests',
      since: 2_000,
      confirmedAt: 3_000,
      retryAt: banEnds,
    };
    await until(
      async () =>
        JSON.stringify((await away.read([account('acc-1')])).get('acc-1')) === JSON.stringify(want),
      5_000,
      'the DOWN link read on the other instance',
    );
    // The owner itself answers from its own link: nothing to read.
    expect((await owner.read([account('acc-1')])).size).toBe(0);
    const others = await away.read([
      account('acc-p', { mode: 'paper' }),
      account('acc-c', { disabledAt: 5 }),
    ]);
    expect(others.size).toBe(0);
    // A ban over by the time it is read: no end shown.
    state = link('DOWN', 'binance: 429 Too Many Requests', Date.now() - 1_000);
    owner.changed('acc-1');
    await until(
      async () => (await away.read([account('acc-1')])).get('acc-1')?.retryAt === null,
      5_000,
      'a past ban end read as null',
    );
  });

  it('an owner gone (its word lapsed) or never heard of: UNKNOWN, saying why; Redis away: UNKNOWN too', async () => {
    const owner = board({ link: () => link('UP', null), token: () => 1, holdMs: 30 });
    owner.changed('acc-gone');
    const away = board();
    const gone = await until(
      async () => {
        const s = (await away.read([account('acc-gone')])).get('acc-gone');
        return s?.venue === 'UNKNOWN' && s;
      },
      5_000,
      'the lapsed word read as UNKNOWN',
    );
    expect(gone.reason).toMatch(/no instance holds the account/);
    expect(gone.confirmedAt).toBe(3_000);
    expect(gone.since).toBeGreaterThan(0);
    const never = (await away.read([account('acc-never')])).get('acc-never');
    expect(never).toMatchObject({ venue: 'UNKNOWN', since: 1_000, confirmedAt: null });
    const cut = board({
      status: {
        publish: async () => true,
        read: async () => {
          throw new Error('Connection is closed.');
        },
      },
    });
    const unread = (await cut.read([account('acc-1')])).get('acc-1');
    expect(unread).toMatchObject({ venue: 'UNKNOWN', since: 9_999, confirmedAt: null });
    expect(unread?.reason).toMatch(/could not be read \(Redis: Connection is closed\.\)/);
  });
});
