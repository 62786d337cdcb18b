import type { Redis } from 'ioredis';
import type {
  AccountCommand,
  CommandAnswer,
  CommandHandler,
} from '../../../src/scalability/bus/command-stream.js';
import { RedisCommandStream } from '../../../src/scalability/bus/redis-command-stream.js';
import { connectRedis } from '../../../src/scalability/connections.js';
import { noopLogger } from '../../../src/trading/core/logger.js';
import { SOLE_OWNER } from '../../../src/system/account-ownership.js';
import { AccountHandOff, accountHandOff } from '../../../src/system/order-hand-off.js';
import { TestOwnership } from '../../support/test-ownership.js';
import { TEST_REDIS_URL, testRedis, uniquePrefix } from '../scalability/services.js';

let seq = 0;
const command = (accountId: string): AccountCommand => ({
  requestId: `r${++seq}`,
  accountId,
  user: { id: 'u1', role: 'trader' },
  route: 'orders.place',
  body: {},
  idempotencyKey: `k${seq}`,
});

/** One instance: its ownership, its hand-off, and the commands its handler ran. */
interface Instance {
  readonly name: string;
  readonly ownership: TestOwnership;
  readonly handOff: AccountHandOff;
  readonly ran: AccountCommand[];
}

describe('AccountHandOff: where an order command runs as accounts change owner (Redis)', () => {
  const prefix = uniquePrefix();
  const accounts = ['acct-1', 'acct-2'];
  const clients: Redis[] = [];
  let admin: { redis: Redis; cleanup(): Promise<void> };
  const instances: Instance[] = [];

  const instance = async (name: string, owned: readonly string[]): Promise<Instance> => {
    const redis = await connectRedis(TEST_REDIS_URL);
    clients.push(redis);
    const ownership = new TestOwnership();
    for (const id of owned) ownership.take(id);
    const handOff = new AccountHandOff({
      ownership,
      stream: new RedisCommandStream(redis, { prefix, waitMs: 1_000 }),
      accounts: () => accounts,
      // Made on another instance since this one started: in the database only.
      stored: async (id) => id === 'acct-new',
      logger: noopLogger,
    });
    const ran: AccountCommand[] = [];
    const handler: CommandHandler = async (cmd) => {
      ran.push(cmd);
      return { status: 201, body: { by: name } };
    };
    handOff.serve(handler);
    const made = { name, ownership, handOff, ran };
    instances.push(made);
    return made;
  };
  /** Dispatches from `from`; `local` answers as that instance would. */
  const dispatch = (from: Instance, accountId: string): Promise<CommandAnswer> =>
    from.handOff.dispatch(command(accountId), async () => ({
      status: 201,
      body: { by: `${from.name} (here)` },
    }));

  beforeAll(async () => {
    admin = await testRedis(prefix);
  });
  afterAll(async () => {
    for (const i of instances) await i.handOff.close();
    for (const c of clients) c.disconnect();
    await admin.cleanup();
  });

  it('runs here what this instance owns or does not know; the owner runs the rest', async () => {
    const a = await instance('a', ['acct-1']);
    const b = await instance('b', ['acct-2']);
    expect(await dispatch(a, 'acct-1')).toEqual({ status: 201, body: { by: 'a (here)' } });
    expect(await dispatch(a, 'acct-2')).toEqual({ status: 201, body: { by: 'b' } });
    expect(await dispatch(b, 'acct-1')).toEqual({ status: 201, body: { by: 'a' } });
    // Not known here but stored (another instance made it): its owner runs it.
    a.ownership.take('acct-new');
    expect(await dispatch(b, 'acct-new')).toEqual({ status: 201, body: { by: 'a' } });
    a.ownership.give('acct-new');
    // Neither known nor stored: answered here (the route then says 404), never waited for.
    expect(await dispatch(b, 'acct-unknown')).toEqual({ status: 201, body: { by: 'b (here)' } });
    expect(a.ran.map((c) => c.accountId)).toEqual(['acct-1', 'acct-new']);
    expect(b.ran.map((c) => c.accountId)).toEqual(['acct-2']);

    // acct-1 moves from a to b: a stops serving it, b starts; commands follow the owner.
    a.ownership.give('acct-1');
    b.ownership.take('acct-1');
    expect(await dispatch(a, 'acct-1')).toEqual({ status: 201, body: { by: 'b' } });
    expect(await dispatch(b, 'acct-1')).toEqual({ status: 201, body: { by: 'b (here)' } });

    // Nobody owns acct-2 any more: no answer within the wait.
    b.ownership.give('acct-2');
    await expect(dispatch(a, 'acct-2')).rejects.toMatchObject({
      code: 'ACCOUNT_OWNER_UNAVAILABLE',
      retryAfterS: 1,
    });
    // Its next owner takes what was left waiting, and answers the next caller.
    a.ownership.take('acct-2');
    expect(await dispatch(b, 'acct-2')).toEqual({ status: 201, body: { by: 'a' } });
    expect(a.ran.filter((c) => c.accountId === 'acct-2')).toHaveLength(2);
  }, 30_000);

  it('one instance (SOLE_OWNER) needs no hand-off and no Redis; another ownership needs Redis', () => {
    const base = {
      accounts: () => accounts,
      install: 'i1',
      logger: noopLogger,
      applyRisk: async () => {},
    };
    expect(accountHandOff({ ...base, ownership: SOLE_OWNER, redis: null })).toBeNull();
    expect(() => accountHandOff({ ...base, ownership: new TestOwnership(), redis: null })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/^REDIS_URL: /),
      }),
    );
  });
});
